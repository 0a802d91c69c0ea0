using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

public sealed partial record BatchNorm
{
    // BatchNorm over chosen axes (Haiku's `axis`): the statistics, moving averages, scale and offset are per position of
    // the axes NOT reduced over, shaped like those axes (for the default, [C]). The input is permuted to
    // [reduced..., kept...] and viewed as [R, K] so that one fused batch_norm (channel axis 1) does the work.
    private Model<Tensor> CallOverAxes(Tensor x, bool isTraining)
    {
        var rank = x.dim();
        var reduced = Normalization.Axes(Name.Path, nameof(BatchNorm), x, Axis!).Order().ToArray();
        var kept = Enumerable.Range(0, (int)rank).Select(a => (long)a).Where(a => !reduced.Contains(a)).ToArray();
        var shape = x.shape;
        var keptShape = kept.Select(a => shape[a]).ToArray();
        var count = reduced.Aggregate(1L, (p, a) => p * shape[a]);
        if (isTraining && count < 2)
            throw new LayerInputException(Name.Path,
                $"BatchNorm in training needs more than one value per statistic to estimate a variance, got input shape {ShapeText.Format(shape)} reduced over axes [{string.Join(", ", reduced)}].");
        var dtype = x.dtype;
        var permutation = reduced.Concat(kept).ToArray();
        var inverse = new long[rank];
        for (var i = 0; i < rank; i++) inverse[permutation[i]] = i;
        var permutedShape = permutation.Select(a => shape[a]).ToArray();
        var matrix = x.permute(permutation).reshape(count, -1);

        Tensor Restore(Tensor y) => y.reshape(permutedShape).permute(inverse);
        Tensor? Flat(Tensor? t) => t?.reshape(-1);
        Tensor Run(Tensor mean, Tensor variance, Tensor? scale, Tensor? offset, bool training) =>
            Restore(nn.functional.batch_norm(matrix, mean.reshape(-1), variance.reshape(-1), Flat(scale), Flat(offset), training, 1 - DecayRate, Eps));

        return Method(
            from meanEma in Hk.GetState("mean_ema", keptShape, Initializers.Zeros(), dtype)
            from varEma in Hk.GetState("var_ema", keptShape, Initializers.Ones(), dtype)
            from scale in CreateScale ? Hk.GetParam("scale", keptShape, ScaleInit ?? Initializers.Ones(), dtype).Select(t => (Tensor?)t) : Hk.Pure<Tensor?>(null)
            from offset in CreateOffset ? Hk.GetParam("offset", keptShape, OffsetInit ?? Initializers.Zeros(), dtype).Select(t => (Tensor?)t) : Hk.Pure<Tensor?>(null)
            from y in isTraining ? TrainOverAxes(meanEma, varEma, scale, offset, Run) : Hk.Pure(Run(meanEma, varEma, scale, offset, false))
            select y, x, "Call");
    }

    // As Train: batch_norm updates the running statistics in place, so it gets fresh copies that become the new state.
    private static Model<Tensor> TrainOverAxes(Tensor meanEma, Tensor varEma, Tensor? scale, Tensor? offset,
        Func<Tensor, Tensor, Tensor?, Tensor?, bool, Tensor> run)
    {
        Tensor newMean, newVar;
        using (torch.no_grad())
        {
            newMean = meanEma.detach().clone();
            newVar = varEma.detach().clone();
        }
        var y = run(newMean, newVar, scale, offset, true);
        return
            from m in Hk.SetState("mean_ema", newMean)
            from v in Hk.SetState("var_ema", newVar)
            select y;
    }
}
