using MiniHaiku.Checkpoints;
using MiniHaiku.Layers;
using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Training;

/// <summary>
/// Nothing assumes the CPU: the plumbing checked on TorchSharp's <c>meta</c> device, which has shapes and dtypes but no
/// data (any CPU tensor meeting a meta tensor in one op would fail, so these tests find every stray constant).
/// </summary>
public sealed class DeviceTests : IDisposable
{
    private static readonly Device Meta = torch.META;
    private readonly string dir = Directory.CreateTempSubdirectory("minihaiku-device-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static void AllOn(Device device, IEnumerable<Tensor> tensors) =>
        Assert.All(tensors, t => Assert.Equal(device.type, t.device_type));

    // Built from ops that have meta kernels in libtorch's CPU build (relu, batch_norm, var_mean, where have none).
    private static readonly Transformed<Tensor, Tensor> Mlp = Hk.Transform((Tensor x) =>
        from hidden in Linear.Create(16).Call(x)
        from y in Linear.Create(4).Call(hidden.tanh())
        select y);

    [Fact]
    public void InitFollowsAMetaInputAndApplyRunsThere()
    {
        using var x = torch.empty([8, 3], device: Meta);
        var p = Mlp.Init(0, x);
        AllOn(Meta, p.Values);
        Assert.Equal([3L, 16], p["~/Linear_0/__call__/w"].shape);
        using var y = Mlp.Apply(p, x);
        Assert.Equal(DeviceType.META, y.device_type);
        Assert.Equal([8L, 4], y.shape);
    }

    [Fact]
    public void InitPlacesParametersOnTheRequestedDeviceWithTheCpuValues()
    {
        using var x = torch.ones([2, 3]);
        var onCpu = Mlp.Init(RngKey.FromSeed(4), x);
        var onMeta = Mlp.Init(RngKey.FromSeed(4), x.to(Meta), Meta);
        AllOn(Meta, onMeta.Values);
        Assert.Equal(onCpu.Shapes(), onMeta.Shapes());
        // An explicit CPU device keeps the values a plain Init draws.
        var explicitCpu = Mlp.Init(RngKey.FromSeed(4), x, torch.CPU);
        foreach (var (k, t) in onCpu) Assert.True(t.eq(explicitCpu[k]).all().item<bool>(), k);
    }

    [Fact]
    public void StatefulInitPlacesStateOnTheDeviceToo()
    {
        var model = Hk.TransformWithState((Tensor x) =>
            from y in Linear.Create(2).Call(x)
            from total in Hk.GetState("total", [2], Initializers.Zeros())
            from _ in Hk.SetState("total", total + y.sum(0))
            select y);
        using var x = torch.empty([4, 5], device: Meta);
        var (p, s) = model.Init(RngKey.FromSeed(0), x);
        AllOn(Meta, p.Values);
        AllOn(Meta, s.Values);
        var (y, s2) = model.Apply(p, s, x);
        Assert.Equal(DeviceType.META, y.device_type);
        AllOn(Meta, s2.Values);
    }

    [Fact]
    public void LayerConstantsFollowTheInput()
    {
        // A bias multiplier and SAME average pooling (its count of valid elements) make constants: on the input's device.
        var model = Hk.Transform((Tensor x) =>
            from bias in Bias.Create()
            from b in bias.Call(x, -1.0)
            from pool in AvgPool.Create(3, 2, Pad.Same)
            from pooled in pool.Call(b)
            select pooled);
        using var x = torch.empty([2, 5, 4, 3], device: Meta);
        var p = model.Init(0, x);
        AllOn(Meta, p.Values);
        using var y = model.Apply(p, x);
        Assert.Equal(DeviceType.META, y.device_type);
        Assert.Equal([2L, 3, 2, 3], y.shape);
    }

    [Fact]
    public void TheTrainerMovesEachBatchToItsDevice()
    {
        using var x = torch.ones([4, 3]);
        var p = Mlp.Init(0, x).Map(t => t.to(Meta));
        Device? seen = null;
        var trainer = Trainer.ForModel(Mlp, ((Tensor X, Tensor Y) b, bool _) => b.X,
                (Tensor y, (Tensor X, Tensor Y) b) =>
                {
                    seen = b.X.device;
                    Assert.Equal(DeviceType.META, b.Y.device_type);
                    Assert.Equal(DeviceType.META, y.device_type);
                    // A meta loss has no value to read: stop here, the plumbing up to the loss is what is tested.
                    throw new InvalidOperationException("reached the loss on " + y.device_type);
                }, Optimizers.Adam(1e-3))
            .OnDevice(Meta, (b, d) => (b.X.to(d), b.Y.to(d)));
        var state = trainer.Init(p, seed: 0);
        AllOn(Meta, state.OptState.Tensors());
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Step(state, (x, torch.zeros([4, 4]))));
        Assert.Equal("reached the loss on META", e.Message);
        Assert.Equal(DeviceType.META, seen!.type);
        Assert.Same(trainer.Device, trainer.SkipNonFiniteSteps().Device);
    }

    [Fact]
    public void CheckpointsLoadOntoAChosenDevice()
    {
        using var x = torch.ones([4, 3]);
        var trainer = Trainer.ForModel(Mlp, ((Tensor X, Tensor Y) b, bool _) => b.X,
            (Tensor y, (Tensor X, Tensor Y) b) => (y - b.Y).square().mean(), Optimizers.Adam(1e-3));
        var state = trainer.Init(Mlp.Init(0, x), seed: 3);
        var path = Path.Combine(dir, "ckpt.safetensors");
        TrainingCheckpoint.Save(path, state, new FitPosition(2, 7));
        var template = state.To(Meta);
        AllOn(Meta, template.Tensors());
        var resumed = TrainingCheckpoint.Load(path, template, Meta);
        AllOn(Meta, resumed.State.Tensors());
        Assert.Equal(state.Params.Shapes(), resumed.State.Params.Shapes());
        Assert.Equal(state.OptState.ToParams().Shapes(), resumed.State.OptState.ToParams().Shapes());
        Assert.Equal((state.Step, state.Rng), (resumed.State.Step, resumed.State.Rng));
        Assert.Equal(new FitPosition(2, 7), resumed.Position);
        // Back on the CPU, the values are the saved ones.
        var onCpu = Checkpoint.LoadTrainState(path, template, torch.CPU);
        foreach (var (k, t) in state.Params) Assert.True(t.eq(onCpu.Params[k]).all().item<bool>(), k);
    }

    [Fact]
    public void DropoutMasksAreDrawnOnTheCpuAndMovedToTheInputsDevice()
    {
        // (Multinomial reads its logits to validate them, so it needs a device with data, unlike meta.)
        var model = Hk.Transform((Tensor x) =>
            from a in Hk.Dropout(0.5, x)
            from b in Hk.Dropout(0.5, a, broadcastDims: [0])
            select b);
        using var x = torch.empty([3, 4], device: Meta);
        using var y = model.Apply(Params.Empty, x, seed: 1);
        Assert.Equal(DeviceType.META, y.device_type);
        Assert.Equal([3L, 4], y.shape);
    }
}
