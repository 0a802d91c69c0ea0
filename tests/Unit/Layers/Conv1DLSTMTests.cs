using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class Conv1DLSTMTests
{
    private const string P = "~/Conv1DLSTM_0/__call__/";
    private const int Cin = 2, C = 3, W = 5;

    private static Transformed<Tensor, UnrollResult<LSTMState>> Unrolled(int kernel) =>
        Hk.Transform((Tensor xs) =>
            from core in Conv1DLSTM.Create([W], C, kernel)
            from r in Recurrent.DynamicUnroll(core, xs, core.InitialState(xs.shape[1], xs.dtype))
            select r);

    [Fact]
    public void ParametersAreTwoConv1DsOverTheFourGates()
    {
        var p = Unrolled(3).Init(0, Random(1, 3, 2, W, Cin));
        Assert.Equal(
            $"{{'{P}hidden_to_hidden/__call__/b': (12,), '{P}hidden_to_hidden/__call__/w': (3, 3, 12), " +
            $"'{P}input_to_hidden/__call__/b': (12,), '{P}input_to_hidden/__call__/w': (3, 2, 12)}}",
            p.Shapes().ToString());
    }

    [Fact]
    public void WithKernel1ItIsAnLstmPerPositionWhoseUnrollMatchesTorchsLstm()
    {
        var xs = Random(2, 3, 2, W, Cin);
        var f = Unrolled(kernel: 1);
        var p = f.Init(0, xs).With(P + "input_to_hidden/__call__/b", Random(3, 4 * C));
        var ours = f.Apply(p, xs);
        int[] torchOrder = [0, 2, 1, 3];
        Tensor Reorder(Tensor w) => torch.cat(torchOrder.Select(g => w[.., (g * C)..((g + 1) * C)]).ToList(), 1).t();
        var b = p[P + "input_to_hidden/__call__/b"] + p[P + "hidden_to_hidden/__call__/b"];
        using var lstm = nn.LSTM(Cin, C, dtype: ScalarType.Float64);
        var tp = lstm.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        using (no_grad())
        {
            tp["weight_ih_l0"].copy_(Reorder(p[P + "input_to_hidden/__call__/w"].reshape(Cin, 4 * C)));
            tp["weight_hh_l0"].copy_(Reorder(p[P + "hidden_to_hidden/__call__/w"].reshape(C, 4 * C)));
            tp["bias_ih_l0"].copy_(torch.cat(torchOrder.Select(g => b[(g * C)..((g + 1) * C)] + (g == 2 ? 1.0 : 0.0)).ToList(), 0));
            tp["bias_hh_l0"].zero_();
        }
        var (expected, _, cn) = lstm.call(xs.reshape(3, 2 * W, Cin));   // positions become batch entries
        AssertClose(expected.reshape(3, 2, W, C), ours.Outputs);
        AssertClose(cn.reshape(2, W, C), ours.FinalState.Cell);
    }

    [Fact]
    public void GradientsThroughTheUnrollMatchFiniteDifferences()
    {
        var xs = Random(4, 2, 1, W, Cin);
        var f = Unrolled(kernel: 3);
        var p = f.Init(0, xs);
        var w = Random(5, 2, 1, W, C);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, xs).Outputs * w).sum());
    }
}
