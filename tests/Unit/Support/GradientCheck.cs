namespace MiniHaiku.Tests.Support;

/// <summary>
/// Compares autograd gradients of a scalar float64 loss with central finite differences, for every
/// parameter of a <see cref="Params"/> (a spread of up to <c>maxElements</c> entries per parameter).
/// Follows the TorchSharp autograd rules: the loss is checked to be a float64 scalar that requires
/// grad before torch.autograd.grad is called, with allow_unused and retain_graph = create_graph = false.
/// </summary>
public static class GradientCheck
{
    public static void AssertMatchesFiniteDifferences(Params parameters, Func<Params, Tensor> loss,
        int maxElements = 6, double eps = 1e-6, double tolerance = 1e-6)
    {
        Assert.NotEmpty(parameters);
        var keys = parameters.Keys.ToArray();
        var leaves = keys.Select(k =>
        {
            Assert.Equal(ScalarType.Float64, parameters[k].dtype);
            return parameters[k].detach().clone().requires_grad_(true);
        }).ToArray();
        var withLeaves = Params.Create(keys.Zip(leaves, (k, v) => KeyValuePair.Create(k, v)));
        var l = loss(withLeaves);
        Assert.Equal(0, l.dim());
        Assert.Equal(ScalarType.Float64, l.dtype);
        Assert.True(l.requires_grad, "the loss does not depend on any parameter");
        var grads = torch.autograd.grad([l], leaves, retain_graph: false, create_graph: false, allow_unused: true);

        for (var p = 0; p < keys.Length; p++)
        {
            var g = grads[p];
            Assert.False(g is null || g.IsInvalid, $"no gradient reached '{keys[p]}'");
            var flatGrad = g.detach().reshape(-1);
            Assert.True(flatGrad.abs().max().item<double>() > 0, $"gradient of '{keys[p]}' is identically zero; the check would be vacuous");
            var n = flatGrad.shape[0];
            var count = Math.Min(n, maxElements);
            for (var j = 0; j < count; j++)
            {
                var i = count == 1 ? 0 : j * (n - 1) / (count - 1);
                var fd = (Perturbed(parameters, keys[p], i, eps, loss) - Perturbed(parameters, keys[p], i, -eps, loss)) / (2 * eps);
                var ad = flatGrad[i].item<double>();
                Assert.True(Math.Abs(fd - ad) <= tolerance * (1 + Math.Abs(ad)),
                    $"'{keys[p]}'[{i}]: autograd {ad:G10} vs finite difference {fd:G10}");
            }
        }
    }

    private static double Perturbed(Params parameters, string key, long index, double delta, Func<Params, Tensor> loss)
    {
        using var noGrad = torch.no_grad();
        var copy = parameters[key].detach().clone();
        var flat = copy.view(-1);
        flat[index] = flat[index] + delta;
        return loss(parameters.With(key, copy)).item<double>();
    }

    /// <summary>A fixed random tensor for projecting outputs to a scalar loss.</summary>
    public static Tensor Random(long seed, params long[] shape)
    {
        using var g = new torch.Generator((ulong)seed);
        return torch.randn(shape, dtype: ScalarType.Float64, generator: g);
    }

    public static void AssertClose(Tensor expected, Tensor actual, double rtol = 1e-10, double atol = 1e-10, string? because = null)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().to_type(ScalarType.Float64).item<double>();
        Assert.True(expected.allclose(actual, rtol, atol), $"{because} max abs difference {diff:G6}");
    }
}
