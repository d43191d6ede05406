// GraftNN: see README ARCHITECTURE.
import Graft
