using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Internal;

/// <summary>
/// One of the library's own initializers together with the largest magnitude it can produce for a shape. Creating a
/// parameter (<see cref="Hk.CreateInitial"/>) scans every new floating-point value for NaN and infinity, one full pass
/// over the parameter; for an initializer marked here it skips that scan when the bound is finite in the dtype asked
/// for, because the values cannot then be anything but finite. A user's initializer is never marked (the class is
/// internal), nor is one of ours wrapped in a user's lambda, nor <see cref="Initializers.RandomNormal"/> (unbounded):
/// those are always scanned.
/// </summary>
internal sealed class BoundedInitializer
{
    private readonly Initializer fill;
    private readonly Func<long[], double> maxMagnitude;

    private BoundedInitializer(Initializer fill, Func<long[], double> maxMagnitude)
    {
        this.fill = fill;
        this.maxMagnitude = maxMagnitude;
    }

    /// <summary>
    /// <paramref name="fill"/> marked with a bound: <paramref name="maxMagnitude"/>(shape) is at least the largest
    /// |value| it returns for that shape (NaN or infinity for "unknown": then the output is scanned).
    /// </summary>
    public static Initializer Create(Func<long[], double> maxMagnitude, Initializer fill) => new BoundedInitializer(fill, maxMagnitude).Invoke;

    /// <summary><see cref="Create(Func{long[], double}, Initializer)"/> with a bound that does not depend on the shape.</summary>
    public static Initializer Create(double maxMagnitude, Initializer fill) => Create(_ => maxMagnitude, fill);

    /// <summary>
    /// Whether <paramref name="init"/> is a library initializer whose values for <paramref name="shape"/> are finite in
    /// <paramref name="dtype"/> by construction (its bound, with a margin for rounding, is below the dtype's largest value).
    /// </summary>
    public static bool ProducesFinite(Initializer init, long[] shape, ScalarType dtype) =>
        init.Target is BoundedInitializer bounded && bounded.maxMagnitude(shape) * (1 + 1e-3) is var m && m <= LargestFinite(dtype);

    /// <summary>The largest finite value of a floating-point dtype; NaN for any other (so nothing is taken on trust).</summary>
    internal static double LargestFinite(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => 65504.0,
        ScalarType.BFloat16 => 3.3895313892515355e38,
        ScalarType.Float32 => float.MaxValue,
        ScalarType.Float64 => double.MaxValue,
        _ => double.NaN,
    };

    private Tensor Invoke(long[] shape, ScalarType dtype, Generator generator) => fill(shape, dtype, generator);
}
