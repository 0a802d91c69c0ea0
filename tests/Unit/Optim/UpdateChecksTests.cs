using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Optim;

/// <summary>The key and shape checks of every Update (one merged walk over the sorted maps) name the offending path.</summary>
public class UpdateChecksTests
{
    private static Params Map(params string[] paths) => Params.Create(paths.Select(p => new KeyValuePair<string, Tensor>(p, torch.ones(2))));

    [Theory]
    [InlineData("~/a")] // sorts before every parameter
    [InlineData("~/c")] // between
    [InlineData("~/z")] // after
    public void AGradientWithoutAParameterIsNamedWherever(string extra)
    {
        var parameters = Map("~/b", "~/d");
        var grads = parameters.With(extra, torch.ones(2));
        var e = Assert.Throws<OptimizerStateException>(() => Optimizers.Sgd(0.1).Update(grads, OptState.Of([OptState.Empty]), parameters));
        Assert.Contains($"gradient for '{extra}' but no such parameter", e.Message);
        Assert.Equal(extra, e.Path);
    }

    [Theory]
    [InlineData("~/a")]
    [InlineData("~/c")]
    [InlineData("~/z")]
    public void AParameterWithoutAGradientIsNamedFirst(string missing)
    {
        var grads = Map("~/b", "~/d");
        var parameters = grads.With(missing, torch.ones(2));
        // Also with a stray gradient: the missing one (in parameter order) is reported.
        var e = Assert.Throws<OptimizerStateException>(() => Optimizers.Sgd(0.1).Update(grads.With("~/e", torch.ones(2)), OptState.Of([OptState.Empty]), parameters));
        Assert.Contains($"the parameter '{missing}' but no gradient for it", e.Message);
    }

    [Fact]
    public void AGradientOfAnotherShapeIsNamed()
    {
        var parameters = Map("~/a", "~/b");
        var grads = parameters.With("~/b", torch.ones(3));
        var e = Assert.Throws<OptimizerStateException>(() => Optimizers.Sgd(0.1).Update(grads, OptState.Of([OptState.Empty]), parameters));
        Assert.Contains("The gradient of '~/b' has shape (3,) but the parameter has (2,)", e.Message);
    }

    [Fact]
    public void ASlotMadeForMoreParametersNamesTheForeignEntry()
    {
        var opt = Optimizers.Adam(0.1);
        var state = opt.Init(Map("~/a", "~/b", "~/c"));
        var grads = Map("~/a", "~/c");
        var e = Assert.Throws<OptimizerStateException>(() => opt.Update(grads, state));
        Assert.Contains("'mu' entry for '~/b' but the gradients have no '~/b'", e.Message);
    }

    [Fact]
    public void ASlotKeyedOtherwiseIsTheTransformationsBusiness()
    {
        var grads = Map("~/a");
        var own = OptState.WithSlots(("flat", Params.Create([new("whole", torch.zeros(2))])));
        var opt = new GradientTransformation(_ => own, (g, s, _) => (g, s));
        var (updates, _) = opt.Update(grads, own);
        Assert.Same(grads, updates);
    }
}
