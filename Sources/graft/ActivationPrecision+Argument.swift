import ArgumentParser
import Graft

/// `--activations float32|int8`.
extension ActivationPrecision: ExpressibleByArgument {}
