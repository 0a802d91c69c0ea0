namespace MiniHaiku.Layers;

/// <summary>How <see cref="Embed"/> looks up its rows (Haiku's <c>hk.EmbedLookupStyle</c>).</summary>
public enum EmbedLookupStyle
{
    /// <summary>Index the table (<c>table[ids]</c>): fast; the gradient touches only the rows used.</summary>
    ArrayIndex,

    /// <summary>Multiply one-hot vectors by the table: a dense matmul, as on TPUs.</summary>
    OneHot,
}
