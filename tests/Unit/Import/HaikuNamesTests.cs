using MiniHaiku.Import;

namespace MiniHaiku.Tests.Import;

public sealed class HaikuNamesTests
{
    [Theory]
    [InlineData("mlp/~/linear_0/w", "~/MLP_0/__call__/Linear_0/__call__/w")]
    [InlineData("linear/w", "~/Linear_0/__call__/w")]
    [InlineData("linear_1/b", "~/Linear_1/__call__/b")]
    [InlineData("conv2_d/w", "~/Conv2D_0/__call__/w")]
    [InlineData("res_net/~/block_group_1/~/block_0/~/conv_0/w", "~/ResNet_0/__call__/BlockGroup_1/__call__/Block_0/__call__/Conv_0/__call__/w")]
    [InlineData("~/w", "~/w")]
    [InlineData("batch_norm/~/mean_ema/average", "~/BatchNorm_0/__call__/MeanEma_0/__call__/average")]
    public void HaikuNamesMeetTheirMiniHaikuPaths(string haiku, string miniHaiku) =>
        Assert.Equal(HaikuNames.NormalizeHaiku(haiku), HaikuNames.NormalizeMiniHaiku(miniHaiku));

    [Theory]
    [InlineData("linear_1/w", "~/Linear_0/__call__/w")]
    [InlineData("linear/w", "~/Linear_0/__call__/b")]
    [InlineData("mlp/~/linear_0/w", "~/Linear_0/__call__/w")]
    public void DifferentModulesOrParametersDoNotMeet(string haiku, string miniHaiku) =>
        Assert.NotEqual(HaikuNames.NormalizeHaiku(haiku), HaikuNames.NormalizeMiniHaiku(miniHaiku));

    [Fact]
    public void TheHaikuMapLeavesAmbiguousPathsOutAndHonoursPrefixes()
    {
        var map = WeightMap.Haiku(["~/Linear_0/__call__/w", "~/linear_0/__call__/w", "~/Enc_0/__call__/Linear_0/__call__/b"]);
        Assert.Null(map.Resolve("linear/w"));
        var prefixed = WeightMap.Haiku(["~/Enc_0/__call__/Linear_0/__call__/b"], sourcePrefix: "model/~/", targetPrefix: "~/Enc_0/__call__/");
        Assert.Equal(new WeightTarget("~/Enc_0/__call__/Linear_0/__call__/b"), prefixed.Resolve("model/~/linear/b"));
        Assert.Null(prefixed.Resolve("other/~/linear/b"));
    }
}
