using System.Text.RegularExpressions;

namespace MiniHaiku.Tests.Docs;

/// <summary>docs/haiku-to-minihaiku.md maps every public name of dm-haiku's top-level package.</summary>
public partial class HaikuMappingTests
{
    // The __all__ of haiku/__init__.py on dm-haiku's main branch (read with the search tool, July 2026).
    private static readonly string[] HaikuPublicNames =
    [
        "AvgPool", "BatchApply", "BatchNorm", "Bias", "Conv1D", "Conv1DLSTM", "Conv1DTranspose", "Conv2D",
        "Conv2DLSTM", "Conv2DTranspose", "Conv3D", "Conv3DLSTM", "Conv3DTranspose", "ConvND", "ConvNDTranspose", "DeepRNN",
        "Deferred", "DepthwiseConv1D", "DepthwiseConv2D", "DepthwiseConv3D", "DO_NOT_STORE", "EMAParamsTree", "Embed", "EmbedLookupStyle",
        "ExponentialMovingAverage", "Flatten", "GetterContext", "GRU", "GroupNorm", "IdentityCore", "InstanceNorm", "LayerStackTransparencyMapping",
        "LiftWithStateUpdater", "LSTM", "LSTMState", "LayerNorm", "Linear", "MaxPool", "MethodContext", "Module",
        "ModuleProtocol", "MultiHeadAttention", "MultiTransformed", "MultiTransformedWithState", "MutableParams", "MutableState", "PRNGSequence", "Params",
        "RNNCore", "ResetCore", "Reshape", "RMSNorm", "SNParamsTree", "SetterContext", "Sequential", "SpectralNorm",
        "State", "SupportsCall", "Transformed", "TransformedWithState", "VanillaRNN", "avg_pool", "cond", "config",
        "eval_shape", "current_name", "custom_creator", "custom_getter", "custom_setter", "data_structures", "deep_rnn_with_skip_connections", "dropout",
        "dynamic_unroll", "expand_apply", "fori_loop", "force_name", "get_channel_index", "get_current_state", "get_initial_state", "get_params",
        "get_parameter", "get_state", "grad", "initializers", "intercept_methods", "layer_stack", "lift", "lift_with_state",
        "map", "max_pool", "maybe_get_rng_sequence_state", "maybe_next_rng_key", "mixed_precision", "multi_transform", "multi_transform_with_state", "multinomial",
        "name_like", "name_scope", "nets", "next_rng_key", "next_rng_keys", "one_hot", "pad", "remat",
        "replace_rng_sequence_state", "reserve_rng_keys", "running_init", "scan", "set_state", "static_unroll", "switch", "testing",
        "to_dot", "to_module", "transform", "transform_with_state", "transparent", "transparent_lift", "transparent_lift_with_state", "value_and_grad",
        "vmap", "while_loop", "with_empty_state", "with_rng", "without_apply_rng", "without_state",
    ];

    [Fact]
    public void EveryPublicHaikuNameHasARow()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "MiniHaiku.sln"))) root = Path.GetDirectoryName(root)!;
        var doc = File.ReadAllText(Path.Combine(root, "docs", "haiku-to-minihaiku.md"));
        var mapped = HkName().Matches(doc).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var missing = HaikuPublicNames.Where(n => !mapped.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "no row for hk." + string.Join(", hk.", missing));
        Assert.Equal(126, HaikuPublicNames.Distinct().Count());
    }

    [GeneratedRegex(@"`hk\.(\w+)")]
    private static partial Regex HkName();
}
