using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class Conv2DLSTMTests
{
    private const string P = "~/Conv2DLSTM_0/__call__/";
    private const int Cin = 2, C = 3;

    private static Transformed<(Tensor X, LSTMState State), CoreOutput<LSTMState>> Step(int kernel) =>
        Hk.Transform(((Tensor X, LSTMState State) i) =>
            from core in Conv2DLSTM.Create([4, 5], C, kernel)
            from r in core.Call(i.X, i.State)
            select r);

    private static LSTMState State(long seed) => new(Random(seed, 2, 4, 5, C), Random(seed + 1, 2, 4, 5, C));

    [Fact]
    public void TwoConvolutionsNamedLikeHaikusHoldTheFourGates()
    {
        var p = Step(3).Init(0, (Random(1, 2, 4, 5, Cin), State(2)));
        Assert.Equal(
            $"{{'{P}hidden_to_hidden/__call__/b': (12,), '{P}hidden_to_hidden/__call__/w': (3, 3, 3, 12), " +
            $"'{P}input_to_hidden/__call__/b': (12,), '{P}input_to_hidden/__call__/w': (3, 3, 2, 12)}}",
            p.Shapes().ToString());
        var state = Hk.Transform((int _) => Conv2DLSTM.Create([4, 5], C, 3).Select(c => c.InitialState(7, ScalarType.Float64))).Apply(Params.Empty, 0);
        Assert.Equal([7L, 4, 5, C], state.Hidden.shape);
        Assert.Equal(ScalarType.Float64, state.Cell.dtype);
    }

    [Fact]
    public void WithA1x1KernelEveryPixelIsTorchsLSTMCell()
    {
        var x = Random(3, 2, 4, 5, Cin);
        var s = State(4);
        var f = Step(kernel: 1);
        var p = f.Init(0, (x, s)).With(P + "input_to_hidden/__call__/b", Random(5, 4 * C)).With(P + "hidden_to_hidden/__call__/b", Random(6, 4 * C));
        var ours = f.Apply(p, (x, s));

        // Ours: gates (i, g, f, o), σ(f + 1), w [1, 1, in, 4C]. Torch: gates (i, f, g, o), weight [4C, in].
        int[] torchOrder = [0, 2, 1, 3];
        Tensor Reorder(Tensor w) => torch.cat(torchOrder.Select(g => w[.., (g * C)..((g + 1) * C)]).ToList(), 1).t();
        Tensor ReorderBias(Tensor b, double forget) => torch.cat(torchOrder.Select(g => b[(g * C)..((g + 1) * C)] + (g == 2 ? forget : 0.0)).ToList(), 0);
        using var cell = nn.LSTMCell(Cin, C, dtype: ScalarType.Float64);
        var tp = cell.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        using (no_grad())
        {
            tp["weight_ih"].copy_(Reorder(p[P + "input_to_hidden/__call__/w"].reshape(Cin, 4 * C)));
            tp["weight_hh"].copy_(Reorder(p[P + "hidden_to_hidden/__call__/w"].reshape(C, 4 * C)));
            tp["bias_ih"].copy_(ReorderBias(p[P + "input_to_hidden/__call__/b"], 1.0));
            tp["bias_hh"].copy_(ReorderBias(p[P + "hidden_to_hidden/__call__/b"], 0.0));
        }
        var (h, c) = cell.call(x.reshape(-1, Cin), (s.Hidden.reshape(-1, C), s.Cell.reshape(-1, C)));
        AssertClose(h.reshape(2, 4, 5, C), ours.Output);
        AssertClose(c.reshape(2, 4, 5, C), ours.State.Cell);
    }

    [Fact]
    public void A3x3KernelMixesNeighboursAndGradientsMatchFiniteDifferences()
    {
        var x = Random(7, 2, 4, 5, Cin);
        var s = State(8);
        var f = Step(kernel: 3);
        var p = f.Init(0, (x, s));
        var moved = x.clone();
        moved[0, 0, 0] = moved[0, 0, 0] + 1.0;
        var a = f.Apply(p, (x, s)).Output;
        var b = f.Apply(p, (moved, s)).Output;
        Assert.False(a[0, 1, 1].allclose(b[0, 1, 1]), "pixel (1, 1) must see its neighbour (0, 0)");
        AssertClose(a[0, 3, 4], b[0, 3, 4], because: "pixel (3, 4) is out of reach of a 3×3 kernel at (0, 0)");
        var w = Random(9, 2, 4, 5, C);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, (x, s)).Output * w).sum() + f.Apply(q, (x, s)).State.Cell.sum());
    }

    [Fact]
    public void AnInputOfAnotherSpatialShapeIsALayerInputException()
    {
        var e = Assert.Throws<LayerInputException>(() => Step(3).Init(0, (Random(1, 2, 5, 4, Cin), State(2))));
        Assert.Contains(P.TrimEnd('/').Replace("/__call__", ""), e.Message);
        Assert.Contains("spatial shape", e.Message);
        Assert.Throws<LayerConfigurationException>(() => Hk.Transform((int _) => Conv2DLSTM.Create([4], C, 3)).Init(0, 0));
    }
}
