// GraftOptim: see README ARCHITECTURE.
