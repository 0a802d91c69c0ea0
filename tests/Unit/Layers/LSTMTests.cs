using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class LSTMTests
{
    private const string W = "~/LSTM_0/__call__/linear/__call__/w";
    private const string B = "~/LSTM_0/__call__/linear/__call__/b";
    private const int In = 3, H = 4;

    private static Transformed<(Tensor Xs, LSTMState State), UnrollResult<LSTMState>> Unrolled() =>
        Hk.Transform(((Tensor Xs, LSTMState State) i) =>
            from core in LSTM.Create(H)
            from r in Recurrent.DynamicUnroll(core, i.Xs, i.State)
            select r);

    [Fact]
    public void OneLinearNamedLinearHoldsAllFourGates()
    {
        var f = Hk.Transform((Tensor x) => from core in LSTM.Create(H) from r in core.Call(x, core.InitialState(2)) select r.Output);
        var p = f.Init(0, ones(2, In));
        Assert.Equal($"{{'{B}': (16,), '{W}': (7, 16)}}", p.Shapes().ToString());
    }

    [Fact]
    public void UnrolledMatchesTorchLstmWithGatesReorderedAndForgetBiasMoved()
    {
        var xs = Random(1, 5, 2, In);
        var h0 = Random(2, 2, H);
        var c0 = Random(3, 2, H);
        var f = Unrolled();
        var p = f.Init(0, (xs, new LSTMState(h0, c0))).With(B, Random(4, 4 * H));
        var w = p[W];
        var b = p[B];

        // Ours: gates (i, g, f, o) with σ(f + 1). Torch: gates (i, f, g, o), weights [4H, in], two biases.
        Tensor Block(Tensor t, int gate) => t[.., (gate * H)..((gate + 1) * H)];
        int[] torchOrder = [0, 2, 1, 3];
        var wIh = torch.cat(torchOrder.Select(g => Block(w[..In], g)).ToList(), 1).t();
        var wHh = torch.cat(torchOrder.Select(g => Block(w[In..], g)).ToList(), 1).t();
        var bIh = torch.cat(torchOrder.Select(g => b[(g * H)..((g + 1) * H)] + (g == 2 ? 1.0 : 0.0)).ToList(), 0);
        using var lstm = nn.LSTM(In, H, dtype: ScalarType.Float64);
        var tp = lstm.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        using (no_grad())
        {
            tp["weight_ih_l0"].copy_(wIh);
            tp["weight_hh_l0"].copy_(wHh);
            tp["bias_ih_l0"].copy_(bIh);
            tp["bias_hh_l0"].zero_();
        }
        var (expected, hn, cn) = lstm.call(xs, (h0.unsqueeze(0), c0.unsqueeze(0)));
        var ours = f.Apply(p, (xs, new LSTMState(h0, c0)));
        AssertClose(expected, ours.Outputs);
        AssertClose(hn.squeeze(0), ours.FinalState.Hidden);
        AssertClose(cn.squeeze(0), ours.FinalState.Cell);
    }

    [Fact]
    public void GradientsThroughTheUnrollMatchFiniteDifferences()
    {
        var xs = Random(5, 3, 2, In);
        var f = Unrolled();
        var state = new LSTMState(zeros(2, H, dtype: ScalarType.Float64), zeros(2, H, dtype: ScalarType.Float64));
        var p = f.Init(0, (xs, state)).With(B, Random(6, 4 * H));
        var r = Random(7, 3, 2, H);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, (xs, state)).Outputs * r).sum());
    }

    [Fact]
    public void InitialStateIsZerosOfTheRightShape()
    {
        var state = Hk.Transform((int _) => LSTM.Create(H).Select(c => c.InitialState(3, ScalarType.Float64))).Apply(Params.Empty, 0);
        Assert.Equal([3L, H], state.Hidden.shape);
        Assert.Equal(ScalarType.Float64, state.Cell.dtype);
        Assert.Equal(0.0, state.Hidden.abs().sum().item<double>() + state.Cell.abs().sum().item<double>());
        var unbatched = Hk.Transform((int _) => LSTM.Create(H).Select(c => c.InitialState(null))).Apply(Params.Empty, 0);
        Assert.Equal([(long)H], unbatched.Hidden.shape);
    }
}
