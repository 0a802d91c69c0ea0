using System.Collections.Immutable;
using Linear = MiniHaiku.Layers.Linear;
using MiniHaiku.Layers;

namespace MiniHaiku.Tests;

/// <summary>Hk.CustomCreator, CustomGetter, CustomSetter and InterceptMethods.</summary>
public class HkInterceptTests
{
    private static Model<Tensor> Mlp(Tensor x) =>
        from l1 in Linear.Create(4, name: "l1")
        from h in l1.Call(x)
        from l2 in Linear.Create(2, name: "l2")
        from y in l2.Call(torch.tanh(h))
        select y;

    [Fact]
    public void MixedPrecisionStoresFloat32AndComputesInBFloat16()
    {
        // The policy: parameters are stored as Float32 whatever the layer asks for, and handed to the layer in
        // the dtype it asked for (the input's: BFloat16).
        Model<T> Policy<T>(Model<T> m) => Hk.CustomGetter(
            (ctx, next) => next(ctx with { DType = ScalarType.Float32 }).Select(w => w.to_type(ctx.DType)), m);
        var f = Hk.Transform((Tensor x) => Policy(Mlp(x.to_type(ScalarType.BFloat16))));
        var x = torch.randn(3, 5, generator: new torch.Generator(1));
        var p = f.Init(0, x);
        Assert.All(p.Values, v => Assert.Equal(ScalarType.Float32, v.dtype));
        var y = f.Apply(p, x);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        // Same numbers as a Float32 model on the same parameters, up to bfloat16 rounding.
        var full = Hk.Transform((Tensor x) => Mlp(x)).Apply(p, x);
        Assert.True(y.to_type(ScalarType.Float32).allclose(full, rtol: 0.05, atol: 0.05));
    }

    [Fact]
    public void WeightTyingReadsTheEncoderWeightForTheDecoder()
    {
        // A getter redirects the decoder's weight to the encoder's, transposed: the decoder's own weight is
        // never created nor read.
        ParamInterceptor tie = (ctx, next) => ctx.FullName == "~/dec/__call__/w"
            ? next(ctx with { FullName = "~/enc/__call__/w", Shape = [ctx.Shape![1], ctx.Shape[0]] }).Select(w => w.t())
            : next(ctx);
        var f = Hk.Transform((Tensor x) => Hk.CustomGetter(tie,
            from enc in Linear.Create(2, withBias: false, name: "enc")
            from z in enc.Call(x)
            from dec in Linear.Create(5, withBias: false, name: "dec")
            from y in dec.Call(z)
            select y));
        var x = torch.randn(3, 5, generator: new torch.Generator(2));
        var p = f.Init(0, x);
        Assert.Equal(["~/enc/__call__/w"], p.Keys);
        var w = p["~/enc/__call__/w"];
        Assert.True(f.Apply(p, x).allclose(x.matmul(w).matmul(w.t()), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void LoraAdapterOnEveryLinear()
    {
        // Every Linear's w becomes w + A·B with A, B new parameters next to it; B starts at zero so the adapted
        // model starts equal to the base model.
        ParamInterceptor lora = (ctx, next) => ctx.Module is Linear && ctx.Name == "w"
            ? from w in next(ctx)
              from a in Hk.GetParam("lora_a", [w.shape[0], 1], Initializers.RandomNormal(0.1))
              from b in Hk.GetParam("lora_b", [1, w.shape[1]], Initializers.Zeros())
              select w + a.matmul(b)
            : next(ctx);
        var basic = Hk.Transform((Tensor x) => Mlp(x));
        var adapted = Hk.Transform((Tensor x) => Hk.CustomGetter(lora, Mlp(x)));
        var x = torch.randn(3, 5, generator: new torch.Generator(3));
        var p = adapted.Init(0, x);
        Assert.Equal(["~/l1/__call__/b", "~/l1/__call__/lora_a", "~/l1/__call__/lora_b", "~/l1/__call__/w",
                      "~/l2/__call__/b", "~/l2/__call__/lora_a", "~/l2/__call__/lora_b", "~/l2/__call__/w"], p.Keys);
        var baseParams = p.Where(k => !k.Contains("lora"));
        Assert.True(adapted.Apply(p, x).allclose(basic.Apply(baseParams, x)));
        // A non-zero adapter changes exactly what A·B says.
        var tuned = p.With("~/l2/__call__/lora_b", ones(1, 2));
        var shifted = baseParams.With("~/l2/__call__/w", p["~/l2/__call__/w"] + p["~/l2/__call__/lora_a"].matmul(ones(1, 2)));
        Assert.True(adapted.Apply(tuned, x).allclose(basic.Apply(shifted, x), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void CapturingIntermediatesWithAMethodInterceptor()
    {
        MethodInterceptor capture = (ctx, next) =>
            from y in next
            from _ in Hk.SetState(ctx.Module.Name.Name + "_" + ctx.Method, (Tensor)y!)
            select y;
        var f = Hk.TransformWithState((Tensor x) => Hk.InterceptMethods(capture, Mlp(x)));
        var x = torch.randn(3, 5, generator: new torch.Generator(4));
        var (p, s0) = f.Init(0, x);
        var (y, s) = f.Apply(p, s0, x);
        Assert.Equal(["~/l1___call__", "~/l2___call__"], s.Keys);
        Assert.True(s["~/l2___call__"].Equals(y));
        var h = x.matmul(p["~/l1/__call__/w"]) + p["~/l1/__call__/b"];
        Assert.True(s["~/l1___call__"].allclose(h, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void MethodInterceptorsSeeNestedCallsAndCanReplaceResults()
    {
        MethodInterceptor zeroL1 = (ctx, next) => ctx.Module.Name.Name == "l1" ? next.Select(y => (object?)torch.zeros_like((Tensor)y!)) : next;
        var f = Hk.Transform((Tensor x) => Hk.InterceptMethods(zeroL1,
            from m in Hk.ToModule("Outer", (Tensor v) => Mlp(v))
            from y in m.Call(x)
            select y));
        var x = ones(2, 5);
        var p = f.Init(0, x);
        Assert.Equal(["~/Outer_0/__call__/l1/__call__/b", "~/Outer_0/__call__/l1/__call__/w", "~/Outer_0/__call__/l2/__call__/b", "~/Outer_0/__call__/l2/__call__/w"], p.Keys);
        // l1 (inside Outer) was intercepted: tanh(0) = 0, so the output is l2's bias.
        Assert.True(f.Apply(p, x).allclose(p["~/Outer_0/__call__/l2/__call__/b"].expand(2, 2)));
    }

    [Fact]
    public void AMethodInterceptorProducingAnotherTypeThanTheMethodIsAClearError()
    {
        MethodInterceptor wrong = (ctx, next) => next.Select(_ => (object?)"not a tensor");
        var f = Hk.Transform((Tensor x) => Hk.InterceptMethods(wrong,
            from m in Hk.ToModule("Outer", (Tensor v) => Hk.Pure(v))
            from y in m.Call(x)
            select y));
        var e = Assert.Throws<ModelUsageException>(() => f.Init(0, ones(1)));
        Assert.Contains("'~/Outer_0/__call__' produced a String where the method returns Tensor", e.Message);
    }

    [Fact]
    public void CreatorsSeeOnlyCreationAndStackOutermostFirst()
    {
        var order = new List<string>();
        ParamInterceptor Tag(string tag) => (ctx, next) => { order.Add(tag + ":" + ctx.Name); return next(ctx); };
        ParamInterceptor zeros = (ctx, next) => next(ctx with { Init = Initializers.Zeros() });
        var f = Hk.Transform((Tensor x) => Hk.CustomCreator(Tag("outer"), Hk.CustomCreator(Tag("inner"), Hk.CustomCreator(zeros, Mlp(x)))));
        var p = f.Init(0, ones(1, 5));
        Assert.All(p.Values, v => Assert.Equal(0f, v.abs().sum().item<float>()));
        Assert.Equal(["outer:w", "inner:w", "outer:b", "inner:b", "outer:w", "inner:w", "outer:b", "inner:b"], order);
        order.Clear();
        f.Apply(p, ones(1, 5));
        Assert.Empty(order);
    }

    [Fact]
    public void SettersSeeEveryStateUpdate()
    {
        StateSetter clip = (ctx, value, next) => next(value.clamp_max(5));
        var f = Hk.TransformWithState((int _) => Hk.CustomSetter(clip,
            from c in Hk.GetState("c", [], Initializers.Zeros())
            from s in Hk.SetState("c", c + 3)
            select s));
        var (p, s) = f.Init(0, 0);
        Assert.Equal(0f, s["~/c"].item<float>());   // Init returns the first value: GetState's zero
        var (_, s1) = f.Apply(p, s, 0);
        Assert.Equal(3f, s1["~/c"].item<float>());
        var (_, s2) = f.Apply(p, s1, 0);
        Assert.Equal(5f, s2["~/c"].item<float>());  // 6, clipped by the setter
    }

    [Fact]
    public void InterceptorsAreScopedToTheirBody()
    {
        ParamInterceptor ones = (ctx, next) => next(ctx with { Init = Initializers.Ones() });
        var f = Hk.Transform((int _) =>
            from a in Hk.CustomCreator(ones, Hk.GetParam("a", [2], Initializers.Zeros()))
            from b in Hk.GetParam("b", [2], Initializers.Zeros())
            select a + b);
        var p = f.Init(0, 0);
        Assert.Equal(2f, p["~/a"].sum().item<float>());
        Assert.Equal(0f, p["~/b"].sum().item<float>());
    }

    [Fact]
    public void InterceptorsThatReturnNullAreExplained()
    {
        var f = Hk.Transform((int _) => Hk.CustomGetter((ctx, next) => null!, Hk.GetParam("a", [2])));
        var e = Assert.Throws<ModelUsageException>(() => f.Init(0, 0));
        Assert.Equal("A custom getter returned a null model for '~/a'; return next(context) to leave it unchanged.", e.Message);
    }
}
