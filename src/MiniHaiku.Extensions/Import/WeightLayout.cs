namespace MiniHaiku.Import;

/// <summary>How an imported array is rearranged before it goes into a MiniHaiku parameter.</summary>
public enum WeightLayout
{
    /// <summary>Taken as it is (Haiku and MiniHaiku share their layouts).</summary>
    AsIs,

    /// <summary>A PyTorch <c>nn.Linear</c> weight <c>[out, in]</c> becomes Haiku's <c>[in, out]</c> (a transpose).</summary>
    TorchLinear,

    /// <summary>
    /// A PyTorch convolution kernel <c>[O, I, spatial…]</c> (OIHW for 2-D) becomes Haiku's <c>[spatial…, I, O]</c>
    /// (HWIO for 2-D); any number of spatial axes.
    /// </summary>
    TorchConv,

    /// <summary>
    /// A PyTorch weight by rank: rank 2 as <see cref="TorchLinear"/>, rank 3 or more as <see cref="TorchConv"/>,
    /// rank 0 and 1 (biases, norms) as they are.
    /// </summary>
    TorchAuto,
}
