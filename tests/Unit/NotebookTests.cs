using MiniHaiku.Tests.Support;

namespace MiniHaiku.Tests;

/// <summary>The notebook's examples, reproduced exactly.</summary>
public class NotebookTests
{
    [Fact]
    public void LinearInitCreatesWAndBWithNotebookShapes()
    {
        var f = Hk.Transform((Tensor x) => from l in Linear.Create(4) from y in l.Call(x) select y);
        var p = f.Init(42, ones(2, 3));
        Assert.Equal("{'~/Linear_0/__call__/W': (3, 4), '~/Linear_0/__call__/b': (4,)}", p.Shapes().ToString());
    }

    [Fact]
    public void LinearApplyEqualsXWPlusBByHand()
    {
        var f = Hk.Transform((Tensor x) => from l in Linear.Create(4) from y in l.Call(x) select y);
        var x = torch.arange(6, dtype: float32).reshape(2, 3);
        var p = f.Init(7, x);
        var w = p["~/Linear_0/__call__/W"];
        var b = p["~/Linear_0/__call__/b"];
        var expected = new float[2, 4];
        for (var i = 0; i < 2; i++)
            for (var j = 0; j < 4; j++)
            {
                var s = b[j].item<float>();
                for (var k = 0; k < 3; k++) s += x[i, k].item<float>() * w[k, j].item<float>();
                expected[i, j] = s;
            }
        var y = f.Apply(p, x);
        Assert.Equal([2L, 4L], y.shape);
        for (var i = 0; i < 2; i++)
            for (var j = 0; j < 4; j++)
                Assert.Equal(expected[i, j], y[i, j].item<float>(), 5);
    }

    [Fact]
    public void MlpHasFourParametersWithNotebookPaths()
    {
        var f = Hk.Transform((Tensor x) => from m in MLP.Create([3, 5]) from y in m.Call(x) select y);
        var p = f.Init(0, ones(2, 3));
        Assert.Equal(
            "{'~/MLP_0/__call__/Linear_0/__call__/W': (3, 3), '~/MLP_0/__call__/Linear_0/__call__/b': (3,), " +
            "'~/MLP_0/__call__/Linear_1/__call__/W': (3, 5), '~/MLP_0/__call__/Linear_1/__call__/b': (5,)}",
            p.Shapes().ToString());
        var y = f.Apply(p, ones(2, 3));
        Assert.Equal([2L, 5L], y.shape);
    }

    [Fact]
    public void ReusedLinearHoldsExactlyTwoParameters()
    {
        var f = Hk.Transform((Tensor x) => from m in ParameterReuseTest.Create() from y in m.Call(x) select y);
        var p = f.Init(1, ones(2, 3));
        Assert.Equal(
            ["~/ParameterReuseTest_0/__call__/Linear_0/__call__/W", "~/ParameterReuseTest_0/__call__/Linear_0/__call__/b"],
            p.Keys.ToArray());
        // Apply really calls the same layer twice: y = (xW + b)W + b.
        var x = ones(2, 3);
        var w = p["~/ParameterReuseTest_0/__call__/Linear_0/__call__/W"];
        var b = p["~/ParameterReuseTest_0/__call__/Linear_0/__call__/b"];
        Assert.True(f.Apply(p, x).allclose((x.matmul(w) + b).matmul(w) + b));
    }

    [Fact]
    public void CallingAnMlpTwiceReusesItsParameters()
    {
        // The notebook's single frame-wide counter gave the second call new Linear_2, Linear_3: fixed here.
        var f = Hk.Transform((Tensor x) =>
            from m in MLP.Create([3, 3])
            from y in m.Call(x)
            from z in m.Call(y)
            select z);
        var p = f.Init(3, ones(2, 3));
        Assert.Equal(4, p.Count);
        Assert.All(p.Keys, k => Assert.StartsWith("~/MLP_0/__call__/Linear_", k));
        Assert.DoesNotContain(p.Keys, k => k.Contains("Linear_2"));
    }

    [Fact]
    public void TwoMlpInstancesGetDistinctNames()
    {
        var f = Hk.Transform((Tensor x) =>
            from a in MLP.Create([3])
            from b in MLP.Create([3], name: "head")
            from c in MLP.Create([3])
            from y in a.Call(x)
            from z in b.Call(y)
            from w in c.Call(z)
            select w);
        var p = f.Init(3, ones(2, 3));
        Assert.Equal(["~/MLP_0", "~/MLP_1", "~/head"],
            p.Keys.Select(k => k[..k.IndexOf("/__call__", StringComparison.Ordinal)]).Distinct().Order(StringComparer.Ordinal).ToArray());
    }
}
