using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class GRUTests
{
    private const string P = "~/GRU_0/__call__/";
    private const int In = 3, H = 4;

    private static Transformed<(Tensor Xs, Tensor State), UnrollResult<Tensor>> Unrolled() =>
        Hk.Transform(((Tensor Xs, Tensor State) i) =>
            from core in GRU.Create(H)
            from r in Recurrent.DynamicUnroll(core, i.Xs, i.State)
            select r);

    [Fact]
    public void ParametersAreWiWhAndB()
    {
        var p = Unrolled().Init(0, (ones(2, 1, In), zeros(1, H)));
        Assert.Equal($"{{'{P}b': (12,), '{P}w_h': (4, 12), '{P}w_i': (3, 12)}}", p.Shapes().ToString());
    }

    [Fact]
    public void UnrolledMatchesTorchGru()
    {
        var xs = Random(1, 5, 2, In);
        var h0 = Random(2, 2, H);
        var f = Unrolled();
        var p = f.Init(0, (xs, h0)).With(P + "b", Random(3, 3 * H));
        Tensor Gate(Tensor t, int g) => t[.., (g * H)..((g + 1) * H)];
        Tensor BiasGate(int g) => p[P + "b"][(g * H)..((g + 1) * H)];
        // Ours (z, r, a) with h' = (1 − z)·h + z·a; torch (r, z, n) with h' = (1 − z')·n + z'·h, so
        // z' = 1 − z: torch's z gate gets the negated weights. Torch's b_hn sits inside r·(…): set it 0.
        var wI = p[P + "w_i"];
        var wH = p[P + "w_h"];
        using var gru = nn.GRU(In, H, dtype: ScalarType.Float64);
        var tp = gru.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        using (no_grad())
        {
            tp["weight_ih_l0"].copy_(torch.cat([Gate(wI, 1), -Gate(wI, 0), Gate(wI, 2)], 1).t());
            tp["weight_hh_l0"].copy_(torch.cat([Gate(wH, 1), -Gate(wH, 0), Gate(wH, 2)], 1).t());
            tp["bias_ih_l0"].copy_(torch.cat([BiasGate(1), -BiasGate(0), BiasGate(2)], 0));
            tp["bias_hh_l0"].zero_();
        }
        var (expected, hn) = gru.call(xs, h0.unsqueeze(0));
        var ours = f.Apply(p, (xs, h0));
        AssertClose(expected, ours.Outputs);
        AssertClose(hn.squeeze(0), ours.FinalState);
    }

    [Fact]
    public void GradientsThroughTheUnrollMatchFiniteDifferences()
    {
        var xs = Random(5, 3, 2, In);
        var h0 = Random(6, 2, H);
        var f = Unrolled();
        var p = f.Init(0, (xs, h0)).With(P + "b", Random(7, 3 * H));
        var r = Random(8, 3, 2, H);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, (xs, h0)).Outputs * r).sum());
    }

    [Fact]
    public void WorksOnUnbatchedSteps()
    {
        var f = Hk.Transform((Tensor x) => from core in GRU.Create(H) from r in core.Call(x, core.InitialState(x.dim() == 2 ? x.shape[0] : null, x.dtype)) select r.Output);
        var x = Random(9, In);
        var p = f.Init(0, x);
        AssertClose(f.Apply(p, x.unsqueeze(0)).squeeze(0), f.Apply(p, x));
    }
}
