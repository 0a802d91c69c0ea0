using MiniHaiku.Layers;
using MiniHaiku.Optim;

namespace MiniHaiku.Tests;

/// <summary>
/// One case per misuse found by the stress run of issue 9: each raises a named <see cref="MiniHaikuException"/>
/// subtype whose message names the path, the dtypes or the shapes, and the fix — never a native abort, an
/// <c>ExternalException</c> or an <c>InvalidOperationException</c>. (Before the fix, the dtype cases aborted the
/// process in native matmul; after it none can, so they run in-process.)
/// </summary>
public class MisuseSweepTests
{
    private static readonly Transformed<Tensor, Tensor> Lin = Hk.Transform((Tensor x) => Linear.Create(4, name: "lin").Call(x));
    private const string W = "~/lin/__call__/w";

    private static T Throws<T>(Action action, params string[] mentions) where T : MiniHaikuException
    {
        var e = Assert.Throws<T>(action);
        foreach (var m in mentions) Assert.Contains(m, e.Message);
        return e;
    }

    // ---- 1. dtype mismatches -------------------------------------------------------------------------------

    [Fact]
    public void LinearOfFloat32ParamsOnAFloat64InputIsADTypeMismatch()
    {
        var p = Lin.Init(0, ones(2, 3));
        var e = Throws<DTypeMismatchException>(() => Lin.Apply(p, ones(2, 3, dtype: ScalarType.Float64)),
            W, "Float64", "Float32", "x.to_type(ScalarType.Float32)", "p.Map(t => t.to_type(ScalarType.Float64))");
        Assert.Equal((W, ScalarType.Float64, ScalarType.Float32), (e.Path, e.Expected, e.Actual));
        Assert.StartsWith("DType mismatch for '~/lin/__call__/w': the model asks for Float64 (its input's dtype) but the stored value is Float32.", e.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void ParamsOfAnotherDTypeOnAFloat32InputAreADTypeMismatch(ScalarType stored)
    {
        var p = Lin.Init(0, ones(2, 3)).Map(t => t.to_type(stored)); // e.g. Checkpoint.Load of a Float64 file
        Throws<DTypeMismatchException>(() => Lin.Apply(p, ones(2, 3)), W, stored.ToString(), "Float32");
    }

    [Fact]
    public void IntegerInputToAFloatLayerIsALayerInputError()
    {
        var p = Lin.Init(0, ones(2, 3));
        Throws<LayerInputException>(() => Lin.Apply(p, ones(2, 3, dtype: ScalarType.Int64)), "~/lin", "floating-point", "Int64", "to_type");
        Throws<LayerInputException>(() => Lin.Init(0, ones(2, 3, dtype: ScalarType.Int32)), "~/lin", "Int32");
    }

    [Fact]
    public void HalfInputToAFloat32LayerIsADTypeMismatch()
    {
        var p = Lin.Init(0, ones(2, 3));
        Throws<DTypeMismatchException>(() => Lin.Apply(p, ones(2, 3, dtype: ScalarType.Float16)), W, "Float16", "Float32");
    }

    [Fact]
    public void AModelInitialisedInHalfPrecisionRuns()
    {
        var x = ones(2, 3, dtype: ScalarType.Float16);
        var p = Lin.Init(0, x);
        Assert.Equal(ScalarType.Float16, p[W].dtype);
        Assert.Equal(ScalarType.Float16, Lin.Apply(p, x).dtype);
    }

    [Fact]
    public void ValueAndGradOverAMismatchedModelRaisesTheSameErrorBeforeAutograd()
    {
        var p = Lin.Init(0, ones(2, 3)).Map(t => t.to_type(ScalarType.Float64));
        var grad = Grad.ValueAndGrad(q => Lin.Apply(q, ones(2, 3)).sum());
        Throws<DTypeMismatchException>(() => grad(p), W, "Float64", "Float32");
    }

    [Fact]
    public void ConvolutionsOnAnotherDTypeAreADTypeMismatch()
    {
        var conv = Hk.Transform((Tensor x) => Conv2D.Create(2, 3, name: "conv").Call(x));
        var p = conv.Init(0, ones(1, 4, 4, 2));
        Throws<DTypeMismatchException>(() => conv.Apply(p, ones(1, 4, 4, 2, dtype: ScalarType.Float64)), "~/conv/__call__/w", "Float64", "Float32");

        var conv1 = Hk.Transform((Tensor x) => Conv1D.Create(2, 3, name: "conv").Call(x));
        var p1 = conv1.Init(0, ones(1, 5, 2));
        Throws<DTypeMismatchException>(() => conv1.Apply(p1, ones(1, 5, 2, dtype: ScalarType.Float64)), "~/conv/__call__/w");

        var tr = Hk.Transform((Tensor x) => Conv2DTranspose.Create(2, 3, name: "up").Call(x));
        var pt = tr.Init(0, ones(1, 4, 4, 2));
        Throws<DTypeMismatchException>(() => tr.Apply(pt, ones(1, 4, 4, 2, dtype: ScalarType.Float64)), "~/up/__call__/w");
    }

    [Fact]
    public void BatchNormOnAnotherDTypeNamesTheState()
    {
        var bn = Hk.TransformWithState((Tensor x) => BatchNorm.Create(name: "bn").Call(x, true));
        var (p, s) = bn.Init(0, ones(4, 3));
        Throws<DTypeMismatchException>(() => bn.Apply(p, s, ones(4, 3, dtype: ScalarType.Float64)),
            "state '~/bn/__call__/mean_ema'", "Float64", "Float32", "to_type");
        // Float64 state with Float32 parameters and input (e.g. a Float64 state checkpoint).
        Throws<DTypeMismatchException>(() => bn.Apply(p, s.Map(t => t.to_type(ScalarType.Float64)), ones(4, 3)), "~/bn/__call__/mean_ema");
    }

    [Fact]
    public void NormalisationsOnAnotherDTypeAreADTypeMismatch()
    {
        foreach (var (name, model) in new (string, Transformed<Tensor, Tensor>)[]
                 {
                     ("layer", Hk.Transform((Tensor x) => LayerNorm.Create(name: "layer").Call(x))),
                     ("rms", Hk.Transform((Tensor x) => RMSNorm.Create(name: "rms").Call(x))),
                     ("group", Hk.Transform((Tensor x) => GroupNorm.Create(2, name: "group").Call(x))),
                 })
        {
            var p = model.Init(0, ones(2, 4));
            Throws<DTypeMismatchException>(() => model.Apply(p, ones(2, 4, dtype: ScalarType.Float64)), $"~/{name}/__call__/scale", "Float64");
            Throws<LayerInputException>(() => model.Apply(p, ones(2, 4, dtype: ScalarType.Int64)), $"~/{name}", "floating-point");
        }
    }

    [Fact]
    public void RecurrentStateOfAnotherDTypeIsADTypeMismatchNamingTheState()
    {
        var lstm = Hk.Transform((Tensor x) =>
            from core in LSTM.Create(3, name: "lstm")
            from r in core.Call(x, core.InitialState(2, ScalarType.Float64))
            select r.Output);
        var e = Throws<DTypeMismatchException>(() => lstm.Init(0, ones(2, 5)), "~/lstm", "hidden state", "Float64", "Float32", "InitialState");
        Assert.Equal((ScalarType.Float32, ScalarType.Float64), (e.Expected, e.Actual));

        var gru = Hk.Transform((Tensor x) => from core in GRU.Create(3, name: "gru") from r in core.Call(x, core.InitialState(2, ScalarType.Float64)) select r.Output);
        Throws<DTypeMismatchException>(() => gru.Init(0, ones(2, 5)), "~/gru", "state", "Float64");
        var rnn = Hk.Transform((Tensor x) => from core in VanillaRNN.Create(3, name: "rnn") from r in core.Call(x, core.InitialState(2, ScalarType.Float64)) select r.Output);
        Throws<DTypeMismatchException>(() => rnn.Init(0, ones(2, 5)), "~/rnn", "state", "Float64");
    }

    [Fact]
    public void AttentionOnAnotherDTypeOrWithMismatchedKeyIsClear()
    {
        var mha = Hk.Transform(((Tensor Q, Tensor? K, Tensor? Mask) i) => MultiHeadAttention.Create(2, 4, name: "mha").Call(i.Q, i.K, mask: i.Mask));
        var q = ones(2, 3, 8);
        var p = mha.Init(0, (q, null, null));
        Throws<DTypeMismatchException>(() => mha.Apply(p, (q.to_type(ScalarType.Float64), null, null)), "~/mha/__call__/query/__call__/w", "Float64");
        Throws<DTypeMismatchException>(() => mha.Apply(p, (q, ones(2, 3, 8, dtype: ScalarType.Float64), null)), "~/mha", "key", "Float64", "Float32");
        Throws<LayerInputException>(() => mha.Apply(p, (q, ones(5, 3, 8), null)), "~/mha", "(2, 3, 8)", "(5, 3, 8)", "batch axes");
        Throws<LayerInputException>(() => mha.Apply(p, (q, null, ones(4, 4, dtype: ScalarType.Bool))), "~/mha", "(4, 4)", "(2, 2, 3, 3)");
        // A mask that broadcasts is fine.
        Assert.Equal([2, 3, 8], mha.Apply(p, (q, null, ones(3, 3, dtype: ScalarType.Bool))).shape);
    }

    [Fact]
    public void EmbedOfNonIntegerIdsIsALayerInputError() =>
        Throws<LayerInputException>(() => Hk.Transform((Tensor ids) => Embed.Create(5, 2, name: "emb").Call(ids)).Init(0, ones(3)),
            "~/emb", "integer ids", "Float32");

    [Fact]
    public void AnInitializerReturningAnotherDTypeIsAnInitializerException()
    {
        Initializer wrong = (shape, _, _) => zeros(shape, dtype: ScalarType.Float64);
        Throws<InitializerException>(() => Hk.Transform((int _) => Hk.GetParam("w", [2], wrong)).Init(0, 0),
            "'~/w'", "returned dtype Float64 but Float32 was requested");
    }

    [Fact]
    public void AReusedModuleOnAnotherDTypeDuringInitIsADTypeMismatch()
    {
        var twice = Hk.Transform((Tensor x) =>
            from l in Linear.Create(2, name: "lin")
            from a in l.Call(x)
            from b in l.Call(x.to_type(ScalarType.Float64))
            select b);
        Throws<DTypeMismatchException>(() => twice.Init(0, ones(1, 3)), W, "created as Float32", "requested as Float64");
    }

    // ---- 2. opaque errors ----------------------------------------------------------------------------------

    [Fact]
    public void ADisposedInputIsADisposedTensorException()
    {
        var p = Lin.Init(0, ones(2, 3));
        var x = ones(2, 3);
        x.Dispose();
        Throws<DisposedTensorException>(() => Lin.Apply(p, x), "the input of Apply", "disposed");
        Throws<DisposedTensorException>(() => Lin.Init(0, x), "the input of Init");
        var tupled = Hk.Transform(((Tensor A, Tensor B) i) => Linear.Create(2).Call(i.B));
        Throws<DisposedTensorException>(() => tupled.Init(0, (ones(1), x)), "item 2 of the input of Init");
    }

    [Fact]
    public void ADisposedParameterIsNamedByItsPath()
    {
        var p = Lin.Init(0, ones(2, 3));
        p[W].Dispose();
        var e = Throws<DisposedTensorException>(() => Lin.Apply(p, ones(2, 3)), $"parameter '{W}'");
        Assert.Equal($"parameter '{W}'", e.What);
    }

    [Fact]
    public void ADisposedStateIsNamedByItsPath()
    {
        var bn = Hk.TransformWithState((Tensor x) => BatchNorm.Create(name: "bn").Call(x, false));
        var (p, s) = bn.Init(0, ones(4, 3));
        s["~/bn/__call__/var_ema"].Dispose();
        Throws<DisposedTensorException>(() => bn.Apply(p, s, ones(4, 3)), "state '~/bn/__call__/var_ema'");
    }

    [Fact]
    public void ADisposedParameterGivenToGradIsNamed()
    {
        var p = Params.Create([new("~/a", ones(3)), new("~/b", ones(2))]);
        p["~/b"].Dispose();
        Throws<DisposedTensorException>(() => Grad.ValueAndGrad(q => q["~/a"].sum())(p), "parameter '~/b' (given to Grad)");
    }

    [Fact]
    public void DisposedTensorsGivenToAnOptimizerAreNamed()
    {
        var p = Params.Create([new("~/w", ones(2, 2))]);
        var opt = Optimizers.Chain(Optimizers.ClipByGlobalNorm(1), Optimizers.ScaleByLearningRate(0.1));
        var state = opt.Init(p);
        var g = Params.Create([new("~/w", ones(2, 2))]);
        g["~/w"].Dispose();
        Throws<DisposedTensorException>(() => opt.Update(g, state), "the gradient of '~/w'");

        var adam = Optimizers.Adam(0.1);
        var adamState = adam.Init(p);
        adamState.Tensors().First().Dispose();
        Throws<DisposedTensorException>(() => adam.Update(Params.Create([new("~/w", ones(2, 2))]), adamState), "optimizer state entry", "~/w");
    }

    [Fact]
    public void GradientsOfOtherShapesGivenToAnOptimizerNameThePathAndBothShapes()
    {
        var p = Params.Create([new("~/w", ones(3, 4)), new("~/b", ones(4))]);
        var adam = Optimizers.Adam(0.1);
        var state = adam.Init(p);
        var g = Params.Create([new("~/w", ones(3, 5)), new("~/b", ones(4))]);
        var e = Throws<OptimizerStateException>(() => adam.Update(g, state), "'~/w'", "(3, 5)", "(3, 4)", "Init");
        Assert.Equal("~/w", e.Path);
        // Against the parameters too, for a stateless transformation.
        var sgd = Optimizers.ScaleByLearningRate(0.1);
        Throws<OptimizerStateException>(() => sgd.Update(g, sgd.Init(p), p), "'~/w'", "(3, 5)", "(3, 4)");
        Throws<OptimizerStateException>(() => sgd.Update(g.Without("~/b"), sgd.Init(p), p), "'~/b'", "no gradient");
        Throws<OptimizerStateException>(() => adam.Update(g.Without("~/b"), state), "'~/b'", "gradients have no");
    }

    [Fact]
    public void GetStateWithoutAShapeDuringInitTalksAboutState()
    {
        var m = Hk.TransformWithState((int _) => Hk.GetState("n"));
        var e = Throws<MissingShapeException>(() => m.Init(0, 0), "State '~/n'", "GetState was called without a shape");
        Assert.DoesNotContain("GetParam", e.Message);
        Assert.DoesNotContain("Parameter", e.Message);
    }

    [Fact]
    public void AnInitializerWrappingALibtorchErrorKeepsOneLineAndTheInnerException()
    {
        Initializer broken = (shape, dtype, _) => zeros(shape, dtype: dtype).reshape(-1, 7);
        var e = Throws<InitializerException>(() => Hk.Transform((int _) => Hk.GetParam("w", [2, 3], broken)).Init(0, 0),
            "'~/w'", "(2, 3)", "shape '[-1, 7]' is invalid for input of size 6");
        Assert.DoesNotContain('\n', e.Message);
        Assert.NotNull(e.InnerException);
        Assert.Contains('\n', e.InnerException!.Message); // the C++ backtrace stays available there
    }

    [Fact]
    public void LossesAndActivationsOnIntegerInputsAreLayerInputErrors()
    {
        var ints = ones(2, 3, dtype: ScalarType.Int64);
        Throws<LayerInputException>(() => Losses.SoftmaxCrossEntropy(ints, zeros(2, dtype: ScalarType.Int64)), "SoftmaxCrossEntropy", "floating-point logits", "Int64");
        Throws<LayerInputException>(() => Losses.SoftmaxCrossEntropyWithProbabilities(ints, ones(2, 3)), "floating-point logits");
        Throws<LayerInputException>(() => Losses.Mse(ints, ints), "Mse", "Int64");
        Assert.Equal(0f, Losses.Mse(ones(3), ones(3, dtype: ScalarType.Int64)).item<float>()); // one floating side is enough
        Throws<LayerInputException>(() => Activations.Gelu(ints), "Gelu", "a floating-point input", "Int64");
        Throws<LayerInputException>(() => Activations.Softmax(ints), "Softmax");
        Throws<LayerInputException>(() => Activations.LogSoftmax(ints), "LogSoftmax");
        Assert.Equal(ScalarType.Int64, Activations.Relu(ints).dtype); // relu is fine on integers
    }

    [Fact]
    public void DisposedTensorsGivenToFunctionsAreNamed()
    {
        var d = ones(3);
        d.Dispose();
        Throws<DisposedTensorException>(() => Activations.Relu(d), "the input of Relu");
        Throws<DisposedTensorException>(() => Losses.Mse(d, ones(3)), "the predictions of Mse");
        Throws<DisposedTensorException>(() => Hk.Transform((Tensor x) => Hk.Cond(d, Hk.Pure(x), Hk.Pure(x))).Apply(Params.Empty, ones(1)), "the predicate of Hk.Cond");
        var p = Params.Create([new("~/a", ones(3))]);
        Throws<DisposedTensorException>(() => p.ApplyUpdates(Params.Create([new("~/a", d)])), "the update of '~/a'");
    }

    [Fact]
    public void UpdatesOfOtherShapesGivenToApplyUpdatesNameThePath()
    {
        var p = Params.Create([new("~/a", ones(3))]);
        Throws<OptimizerStateException>(() => p.ApplyUpdates(Params.Create([new("~/a", ones(4))])), "'~/a'", "(4,)", "(3,)");
        Throws<ParamsKeyException>(() => p.ApplyUpdates(Params.Create([new("~/b", ones(3))])), "~/a", "~/b");
    }

    // ---- the rule: argument misuse is a named subtype ------------------------------------------------------

    [Fact]
    public void ConfigurationErrorsAreNamedSubtypes()
    {
        Throws<OptimizerConfigurationException>(() => Optimizers.ClipByGlobalNorm(0), "ClipByGlobalNorm", "maxNorm", "0");
        Throws<OptimizerConfigurationException>(() => Schedule.CosineDecay(1, 0), "CosineDecay", "decaySteps");
        Throws<InitializerConfigurationException>(() => Initializers.VarianceScaling(-1), "VarianceScaling", "-1");
        Throws<ModelUsageException>(() => RngKey.FromSeed(0).Split(0), "Split", "0");
        Throws<ParamsKeyException>(() => Params.Create([new("~/a", ones(1)), new("~/a", ones(1))]), "'~/a'", "twice");
        Throws<OptimizerStateException>(() => OptState.FromParams(Params.Empty, OptState.Empty), "count", "missing");
    }
}
