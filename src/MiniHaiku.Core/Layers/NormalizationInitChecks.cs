namespace MiniHaiku.Layers;

/// <summary>Rejects an initializer given for a scale or offset the layer was told not to create.</summary>
internal static class NormalizationInitChecks
{
    /// <summary>Throws when <paramref name="scaleInit"/> (<paramref name="offsetInit"/>) is given with <paramref name="createScale"/> (<paramref name="createOffset"/>) false.</summary>
    internal static void Require(string layer, bool createScale, Initializer? scaleInit, bool createOffset = true, Initializer? offsetInit = null)
    {
        if (!createScale && scaleInit is not null)
            throw new LayerConfigurationException(layer, "scaleInit was given but createScale is false, so there is no scale to initialise. Drop scaleInit or set createScale: true.");
        if (!createOffset && offsetInit is not null)
            throw new LayerConfigurationException(layer, "offsetInit was given but createOffset is false, so there is no offset to initialise. Drop offsetInit or set createOffset: true.");
    }
}
