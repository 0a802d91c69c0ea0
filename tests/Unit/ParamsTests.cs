using System.Collections.Immutable;

namespace MiniHaiku.Tests;

/// <summary>Params: an immutable, ordinally sorted map of tensors.</summary>
public class ParamsTests
{
    private static Params Sample() => Params.Create([
        KeyValuePair.Create("~/b", torch.zeros(4)),
        KeyValuePair.Create("~/W", torch.ones(3, 4)),
        KeyValuePair.Create("~/a/x", torch.ones(1)),
    ]);

    [Fact]
    public void KeysAreSortedOrdinallyAndShapesPrintLikeHaiku()
    {
        var p = Sample();
        Assert.Equal(["~/W", "~/a/x", "~/b"], p.Keys);
        Assert.Equal("{'~/W': (3, 4), '~/a/x': (1,), '~/b': (4,)}", p.Shapes().ToString());
        Assert.Equal("{'~/W': (3, 4) Float32, '~/a/x': (1,) Float32, '~/b': (4,) Float32}", p.ToString());
        Assert.Equal("()", ShapeText.Format([]));
        ImmutableSortedDictionary<string, long[]> shapes = p.Shapes();
        Assert.Equal([3L, 4L], shapes["~/W"]);
    }

    [Fact]
    public void WithWithoutAndMergeReturnNewMapsAndLeaveTheOriginal()
    {
        var p = Sample();
        var q = p.With("~/c", torch.ones(2)).Without("~/b");
        Assert.Equal(["~/W", "~/a/x", "~/c"], q.Keys);
        Assert.Equal(["~/W", "~/a/x", "~/b"], p.Keys);
        var r = p.Merge(Params.Create([KeyValuePair.Create("~/b", torch.ones(4))]));
        Assert.Equal(4f, r["~/b"].sum().item<float>());
        Assert.Equal(0f, p["~/b"].sum().item<float>());
        Assert.Equal(["~/W", "~/b"], p.Where(k => !k.Contains("/a/")).Keys);
    }

    [Fact]
    public void WhereCallsThePredicateOncePerPathAndSharesTheMapWhenNothingIsDropped()
    {
        var p = Sample();
        var seen = new List<string>();
        Assert.Same(p, p.Where(k => { seen.Add(k); return true; }));
        Assert.Equal(p.Keys, seen);
        Assert.Empty(p.Where(_ => false));
        var kept = p.Where(k => k != "~/a/x");
        Assert.Equal(["~/W", "~/b"], kept.Keys);
        Assert.Same(p["~/W"], kept["~/W"]);
    }

    [Fact]
    public void WithAndMergeReplaceATensorEvenWhenItsValuesAreEqual()
    {
        // Regression: the map compared values with Tensor.Equals (torch.equal), so replacing zeros(4) by a
        // Float64 zeros(4) (or any value-equal tensor) silently kept the old tensor.
        var p = Sample();
        var f64 = torch.zeros(4, dtype: ScalarType.Float64);
        Assert.Same(f64, p.With("~/b", f64)["~/b"]);
        Assert.Equal(ScalarType.Float64, p.With("~/b", f64)["~/b"].dtype);
        var same = torch.zeros(4);
        Assert.Same(same, p.With("~/b", same)["~/b"]);
        Assert.Same(same, p.Merge(Params.Create([KeyValuePair.Create("~/b", same)]))["~/b"]);
    }

    [Fact]
    public void CreateRejectsARepeatedPath()
    {
        var e = Assert.Throws<ParamsKeyException>(() => Params.Create([KeyValuePair.Create("~/a", torch.ones(1)), KeyValuePair.Create("~/a", torch.ones(1))]));
        Assert.Contains("'~/a' twice", e.Message);
    }

    [Fact]
    public void MapZipAndRequireSameKeys()
    {
        var p = Sample();
        var doubled = p.Map(t => t * 2);
        Assert.Equal(p.Keys, doubled.Keys);
        Assert.Equal(24f, doubled["~/W"].sum().item<float>());
        Assert.Equal(["~/W:3", "~/a/x:2", "~/b:2"], p.Map((k, t) => torch.tensor(t.dim() + 1)).Select(kv => kv.Key + ":" + kv.Value.item<long>()));
        Assert.Equal(36f, p.Zip(doubled, (a, b) => a + b)["~/W"].sum().item<float>());
        var e = Assert.Throws<ParamsKeyException>(() => p.Zip(p.Without("~/b").With("~/z", torch.ones(1)), (a, b) => a));
        Assert.Equal("Zip needs two parameter maps with the same keys. Only in the first: [~/b]; only in the second: [~/z].", e.Message);
    }

    [Fact]
    public void BitwiseEqualsComparesKeysDtypesShapesAndValues()
    {
        var p = Sample();
        Assert.True(p.BitwiseEquals(p.Map(t => t.clone())));
        Assert.False(p.BitwiseEquals(p.Without("~/b")));
        Assert.False(p.BitwiseEquals(p.With("~/b", torch.zeros(4, dtype: ScalarType.Float64))));
        Assert.False(p.BitwiseEquals(p.With("~/b", torch.zeros(2, 2))));
        Assert.False(p.BitwiseEquals(p.With("~/b", torch.tensor(new[] { 0f, 0f, 0f, 1e-30f }))));
        Assert.False(p.BitwiseEquals(p.Without("~/b").With("~/c", torch.zeros(4))));
    }

    [Fact]
    public void IndexerOfAMissingKeyIsAMissingParameterWithNearestPaths()
    {
        var e = Assert.Throws<MissingParameterException>(() => Sample()["~/bb"]);
        Assert.Equal("~/b", e.Nearest[0]);
        Assert.False(Sample().TryGetValue("~/B", out _));
        Assert.True(Sample().ContainsKey("~/b"));
    }

    [Fact]
    public void CountsAndSizes()
    {
        var p = Sample();
        Assert.Equal(3, p.Count);
        Assert.Equal(17L, p.ElementCount);
        Assert.Equal(68L, p.TotalBytes);
        Assert.Empty(Params.Empty);
        Assert.Equal(3, p.Items.Count);
    }

    [Fact]
    public void ShapeMapEqualityIsStructural()
    {
        Assert.Equal(Sample().Shapes(), Sample().Map(t => t.clone()).Shapes());
        Assert.NotEqual(Sample().Shapes(), Sample().With("~/b", torch.zeros(5)).Shapes());
    }

    [Fact]
    public void DisposeTensorsDisposesEveryTensor()
    {
        var p = Params.Create([KeyValuePair.Create("~/a", torch.ones(2)), KeyValuePair.Create("~/b", torch.ones(2))]);
        p.DisposeTensors();
        Assert.All(p.Values, t => Assert.True(t.IsInvalid));
    }

    [Fact]
    public void ConcurrentFirstLookupsAreSafe()
    {
        var p = Params.Create(Enumerable.Range(0, 500).Select(i => KeyValuePair.Create($"~/p{i}", torch.ones(1))));
        var f = Hk.Transform((int i) => Hk.GetParam($"p{i}"));
        var results = new Tensor[500];
        Parallel.For(0, 500, i => results[i] = f.AllowUnusedParams().Apply(p, i));
        for (var i = 0; i < 500; i++) Assert.Same(p[$"~/p{i}"], results[i]);
    }
}
