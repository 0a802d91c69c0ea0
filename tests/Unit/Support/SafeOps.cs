namespace MiniHaiku.Tests.Support;

/// <summary>
/// Tensor arithmetic that keeps its Scalars alive across the native call. TorchSharp 0.107's `a + b` passes a
/// temporary Scalar(1) as alpha and never calls GC.KeepAlive, so under GC pressure the finalizer can free it
/// mid-call ("Expected false to be true ... toFloat" from c10, or worse): measured 876 failures in 2.5 M
/// additions on 2 threads with a forced-GC thread, 0 in 12.6 M with a rooted Scalar (see the report).
/// </summary>
public static class SafeOps
{
    private static readonly Scalar One = 1.ToScalar(); // rooted by this static field: never finalized

    /// <summary>a + b, without a temporary Scalar.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);
}
