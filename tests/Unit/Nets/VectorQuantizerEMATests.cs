using MiniHaiku.Nets;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Nets;

public class VectorQuantizerEMATests
{
    private const string P = "~/VectorQuantizerEMA_0/__call__/";

    private static TransformedWithState<(Tensor X, bool IsTraining), VectorQuantizerOutput> Vq() =>
        Hk.TransformWithState(((Tensor X, bool IsTraining) b) =>
            VectorQuantizerEMA.Create(2, 3, commitmentCost: 0.25, decay: 0.5, dtype: ScalarType.Float64).SelectMany(v => v.Call(b.X, b.IsTraining)));

    [Fact]
    public void TheCodebookIsStateWithTwoMovingAveragesNamedLikeHaikus()
    {
        var (p, state) = Vq().Init(0, (VectorQuantizerTests.Inputs, true));
        Assert.Empty(p);
        Assert.Equal(
            [P + "ema_cluster_size/__call__/average", P + "ema_cluster_size/__call__/counter", P + "ema_cluster_size/__call__/hidden",
             P + "ema_dw/__call__/average", P + "ema_dw/__call__/counter", P + "ema_dw/__call__/hidden", P + "embeddings"],
            state.Keys.ToArray());
        Assert.Equal([2L, 3], state[P + "embeddings"].shape);
        Assert.Equal([3L], state[P + "ema_cluster_size/__call__/hidden"].shape);
    }

    [Fact]
    public void ATrainingStepMovesEachUsedCodeToTheMeanOfItsVectors()
    {
        var f = Vq();
        var (_, state) = f.Init(0, (VectorQuantizerTests.Inputs, true));
        state = state.With(P + "embeddings", VectorQuantizerTests.Codebook);
        var (r, next) = f.Apply(Params.Empty, state, (VectorQuantizerTests.Inputs, true));
        Assert.Equal(new long[] { 1, 2, 0 }, r.EncodingIndices.data<long>().ToArray());
        Assert.Equal(0.25 * 0.055, r.Loss.item<double>(), 12);           // only the commitment term
        // Debiased first averages: counts (1, 1, 1) and sums = the assigned vectors; smoothing keeps counts at 1.
        var expected = VectorQuantizerTests.Inputs[tensor(new long[] { 2, 0, 1 })].t();
        AssertClose(expected, next[P + "embeddings"], rtol: 1e-4, atol: 1e-5);

        // A second step with the same inputs keeps the codes there; evaluation leaves the state alone.
        var (_, third) = f.Apply(Params.Empty, next, (VectorQuantizerTests.Inputs, true));
        AssertClose(expected, third[P + "embeddings"], rtol: 1e-4, atol: 1e-5);
        var (_, same) = f.Apply(Params.Empty, third, (VectorQuantizerTests.Inputs, false));
        Assert.True(same[P + "embeddings"].equal(third[P + "embeddings"]).all().item<bool>());
        Assert.Equal(2, same[P + "ema_dw/__call__/counter"].item<int>());
    }

    [Fact]
    public void GradientsReachOnlyTheInputsThroughTheStraightThroughEstimator()
    {
        var x = Random(1, 4, 2).requires_grad_(true);
        var (_, state) = Vq().Init(0, (x.detach(), true));
        var (r, _) = Vq().Apply(Params.Empty, state, (x, true));
        var w = Random(2, 4, 2);
        var g = torch.autograd.grad([(r.Quantize * w).sum() + r.Loss], [x])[0];
        var q = state[P + "embeddings"].t()[r.EncodingIndices];
        AssertClose(w + 0.25 * 2 * (x.detach() - q) / 8, g);
        Assert.False(state[P + "embeddings"].requires_grad);
    }
}
