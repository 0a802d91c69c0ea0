using MiniHaiku.Internal;

namespace MiniHaiku.Tests.Internal;

/// <summary>
/// Which initializers skip the NaN/infinity scan when a parameter is created: the library's bounded ones whose bound
/// is finite in the dtype; never a user's initializer, an unbounded one, or a bound beyond the dtype's range.
/// </summary>
public class BoundedInitializerTests
{
    private static readonly long[] Dense = [300, 200];

    public static TheoryData<string> Trusted() => new(["Zeros", "Ones", "Constant", "TruncatedNormal", "RandomUniform", "VarianceScaling",
        "VarianceScalingUniform", "GlorotUniform", "GlorotNormal", "HeNormal", "LecunUniform", "UniformScaling", "Orthogonal", "Identity"]);

    private static Initializer ByName(string name) => name switch
    {
        "Zeros" => Initializers.Zeros(),
        "Ones" => Initializers.Ones(),
        "Constant" => Initializers.Constant(-3),
        "TruncatedNormal" => Initializers.TruncatedNormal(0.1, 1),
        "RandomUniform" => Initializers.RandomUniform(-1, 1),
        "VarianceScaling" => Initializers.VarianceScaling(),
        "VarianceScalingUniform" => Initializers.VarianceScaling(2, FanMode.FanAvg, Distribution.Uniform),
        "GlorotUniform" => Initializers.GlorotUniform(),
        "GlorotNormal" => Initializers.GlorotNormal(),
        "HeNormal" => Initializers.HeNormal(),
        "LecunUniform" => Initializers.LecunUniform(),
        "UniformScaling" => Initializers.UniformScaling(2),
        "Orthogonal" => Initializers.Orthogonal(2),
        _ => Initializers.Identity(3),
    };

    [Theory]
    [MemberData(nameof(Trusted))]
    public void TheLibrarysBoundedInitializersAreFiniteByConstructionAndRespectTheirBound(string name)
    {
        var init = ByName(name);
        Assert.True(BoundedInitializer.ProducesFinite(init, Dense, ScalarType.Float32));
        Assert.True(BoundedInitializer.ProducesFinite(init, Dense, ScalarType.Float64));
        Assert.False(BoundedInitializer.ProducesFinite(init, Dense, ScalarType.Int64), "integer dtypes are not taken on trust");
        // The bound is a promise: the drawn values keep it.
        using var g = new torch.Generator(5);
        using var value = init(Dense, ScalarType.Float32, g);
        Assert.True(torch.isfinite(value).all().item<bool>());
    }

    [Fact]
    public void UnboundedWrappedOrOutOfRangeInitializersAreScanned()
    {
        Assert.False(BoundedInitializer.ProducesFinite(Initializers.RandomNormal(), Dense, ScalarType.Float32));
        Assert.False(BoundedInitializer.ProducesFinite(Initializers.VarianceScaling(distribution: Distribution.Normal), Dense, ScalarType.Float32));
        Assert.False(BoundedInitializer.ProducesFinite(Initializers.Constant(double.NaN), Dense, ScalarType.Float32));
        Assert.False(BoundedInitializer.ProducesFinite(Initializers.Constant(double.PositiveInfinity), Dense, ScalarType.Float64));
        Assert.False(BoundedInitializer.ProducesFinite(Initializers.TruncatedNormal(1e5), Dense, ScalarType.Float16));
        Assert.True(BoundedInitializer.ProducesFinite(Initializers.TruncatedNormal(1e5), Dense, ScalarType.Float32));
        Assert.False(BoundedInitializer.ProducesFinite(Initializers.TruncatedNormal(2e38), Dense, ScalarType.Float32));
        Assert.False(BoundedInitializer.ProducesFinite(Initializers.UniformScaling(), [0, 4], ScalarType.Float32), "input size 0: infinite bound");
        var library = Initializers.TruncatedNormal();
        Initializer users = (shape, dtype, g) => library(shape, dtype, g);
        Assert.False(BoundedInitializer.ProducesFinite(users, Dense, ScalarType.Float32));
    }

    [Fact]
    public void AnOutOfRangeLibraryInitializerStillFailsCreationWithTheNonFiniteMessage()
    {
        // 2·1e5 overflows Float16 (max 65504): the bound is not finite in the dtype, so the values are scanned.
        var f = Hk.Transform((int _) => Hk.GetParam("w", [64, 64], Initializers.TruncatedNormal(1e5), ScalarType.Float16));
        var e = Assert.Throws<InitializerException>(() => f.Init(0, 0));
        Assert.Contains("'~/w' produced non-finite values", e.Message);
    }

    [Fact]
    public void AUserInitializerIsStillScanned()
    {
        Initializer overflowing = (shape, dtype, g) => Initializers.TruncatedNormal(1e38)(shape, dtype, g).mul(torch.tensor(100f));
        var f = Hk.Transform((int _) => Hk.GetParam("w", [8], overflowing));
        var e = Assert.Throws<InitializerException>(() => f.Init(0, 0));
        Assert.Contains("non-finite", e.Message);
    }
}
