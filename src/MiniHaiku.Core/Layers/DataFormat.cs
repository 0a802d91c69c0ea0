namespace MiniHaiku.Layers;

/// <summary>Where the channel axis of an image-like input is (Haiku's <c>data_format</c>).</summary>
public enum DataFormat
{
    /// <summary>Channels last: <c>NWC</c>, <c>NHWC</c> (Haiku's default).</summary>
    ChannelsLast,

    /// <summary>Channels first: <c>NCW</c>, <c>NCHW</c> (PyTorch's layout).</summary>
    ChannelsFirst,
}
