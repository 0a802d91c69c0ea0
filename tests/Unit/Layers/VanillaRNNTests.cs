using MiniHaiku.Layers;
using static MiniHaiku.Tests.Support.GradientCheck;

namespace MiniHaiku.Tests.Layers;

public class VanillaRNNTests
{
    private const string P = "~/VanillaRNN_0/__call__/";
    private const int In = 3, H = 4;

    private static Transformed<(Tensor Xs, Tensor State), UnrollResult<Tensor>> Unrolled() =>
        Hk.Transform(((Tensor Xs, Tensor State) i) =>
            from core in VanillaRNN.Create(H)
            from r in Recurrent.DynamicUnroll(core, i.Xs, i.State)
            select r);

    [Fact]
    public void LinearsAreNamedInputToHiddenAndHiddenToHidden()
    {
        var p = Unrolled().Init(0, (ones(2, 1, In), zeros(1, H)));
        Assert.Equal(
            $"{{'{P}hidden_to_hidden/__call__/b': (4,), '{P}hidden_to_hidden/__call__/w': (4, 4), " +
            $"'{P}input_to_hidden/__call__/b': (4,), '{P}input_to_hidden/__call__/w': (3, 4)}}",
            p.Shapes().ToString());
    }

    [Fact]
    public void UnrolledMatchesTorchReluRnn()
    {
        var xs = Random(1, 5, 2, In);
        var h0 = Random(2, 2, H).abs();
        var f = Unrolled();
        var p = f.Init(0, (xs, h0)).With(P + "input_to_hidden/__call__/b", Random(3, H)).With(P + "hidden_to_hidden/__call__/b", Random(4, H));
        using var rnn = nn.RNN(In, H, nonLinearity: nn.NonLinearities.ReLU, dtype: ScalarType.Float64);
        var tp = rnn.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        using (no_grad())
        {
            tp["weight_ih_l0"].copy_(p[P + "input_to_hidden/__call__/w"].t());
            tp["weight_hh_l0"].copy_(p[P + "hidden_to_hidden/__call__/w"].t());
            tp["bias_ih_l0"].copy_(p[P + "input_to_hidden/__call__/b"]);
            tp["bias_hh_l0"].copy_(p[P + "hidden_to_hidden/__call__/b"]);
        }
        var (expected, hn) = rnn.call(xs, h0.unsqueeze(0));
        var ours = f.Apply(p, (xs, h0));
        AssertClose(expected, ours.Outputs);
        AssertClose(hn.squeeze(0), ours.FinalState);
    }

    [Fact]
    public void GradientsThroughTheUnrollMatchFiniteDifferences()
    {
        var xs = Random(5, 3, 2, In);
        var h0 = Random(6, 2, H);
        var f = Hk.Transform(((Tensor Xs, Tensor State) i) =>
            from core in VanillaRNN.Create(H, activation: Activations.Tanh)
            from r in Recurrent.DynamicUnroll(core, i.Xs, i.State)
            select r.Outputs);
        var p = f.Init(0, (xs, h0)).With(P + "input_to_hidden/__call__/b", Random(7, H)).With(P + "hidden_to_hidden/__call__/b", Random(8, H));
        var r = Random(9, 3, 2, H);
        AssertMatchesFiniteDifferences(p, q => (f.Apply(q, (xs, h0)) * r).sum());
    }
}
