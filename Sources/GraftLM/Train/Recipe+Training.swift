import GraftOptim

extension Recipe {
    /// The optimizer the recipe describes, at its base learning rate.
    public func makeOptimizer() -> any Optimizer {
        switch optimizer.name {
        case .adamw, .adam:
            return AdamW(learningRate: optimizer.lr, beta1: optimizer.beta1, beta2: optimizer.beta2, eps: optimizer.eps,
                         weightDecay: optimizer.name == .adam ? 0 : optimizer.weightDecay,
                         biasCorrection: optimizer.biasCorrection)
        case .sgd:
            return SGD(learningRate: optimizer.lr, momentum: optimizer.momentum, weightDecay: optimizer.weightDecay)
        }
    }

    /// Number of optimizer updates of the run. With `train.epochs`, `microBatchesPerEpoch` (the
    /// data loader's count) is needed: each epoch makes ⌈microBatchesPerEpoch / grad_accumulation⌉
    /// updates (the last one may average fewer micro-batches).
    public func totalUpdates(microBatchesPerEpoch: Int? = nil) -> Int {
        switch train.length {
        case .iters(let n): return n
        case .epochs(let n):
            let micro = max(1, microBatchesPerEpoch ?? 1)
            return n * ((micro + train.gradAccumulation - 1) / train.gradAccumulation)
        }
    }

    /// The learning-rate schedule over `totalUpdates` updates (see `LearningRateSchedule` for
    /// the step convention).
    public func makeSchedule(totalUpdates: Int) -> LearningRateSchedule {
        let decay: LearningRateSchedule.Decay
        switch schedule.name {
        case .constant: decay = .constant
        case .cosine: decay = .cosine
        case .linear: decay = .linear
        }
        return LearningRateSchedule(decay: decay, peak: optimizer.lr, warmupSteps: min(schedule.warmup, totalUpdates),
                                    warmupInit: schedule.warmupInit, totalSteps: totalUpdates,
                                    minimum: schedule.name == .constant ? 0 : schedule.minLR)
    }
}
