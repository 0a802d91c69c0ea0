namespace MiniHaiku.Tests.Support;

/// <summary>The gradient checker used by the layer tests must be able to fail.</summary>
public class GradientCheckTests
{
    [Fact]
    public void DetectsAWrongGradient()
    {
        var p = Params.Empty.With("w", GradientCheck.Random(1, 3));
        // autograd sees d/dw (stop_grad(w)·w) = w, the true derivative of w² is 2w.
        Assert.ThrowsAny<Exception>(() => GradientCheck.AssertMatchesFiniteDifferences(p, q => (q["w"].detach() * q["w"]).sum()));
        GradientCheck.AssertMatchesFiniteDifferences(p, q => (q["w"] * q["w"]).sum());
    }
}
