using MiniHaiku.Checkpoints;
using MiniHaiku.Optim;

namespace MiniHaiku.Tests.Checkpoints;

/// <summary>Optimizer states with numbers, named inner states and boolean slots survive a checkpoint, and training continues identically.</summary>
public sealed class OptaxStateCheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("minihaiku-optax-ckpt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static GradientTransformation Optimizer() =>
        Optimizers.Chain(
            Optimizers.ZeroNans(),
            Optimizers.ApplyIfFinite(
                Optimizers.MultiSteps(
                    Optimizers.MultiTransform(
                        new Dictionary<string, GradientTransformation>
                        {
                            ["adam"] = Optimizers.InjectHyperparams(h => Optimizers.Adam(h["learning_rate"]), new Dictionary<string, double> { ["learning_rate"] = 0.1 }),
                            ["look"] = Optimizers.Lookahead(Optimizers.Sgd(0.1, momentum: 0.9), syncPeriod: 2, slowStepSize: 0.5),
                        },
                        path => path.EndsWith("/w", StringComparison.Ordinal) ? "adam" : "look"),
                    everyKSchedule: 2),
                maxConsecutiveErrors: 3),
            Optimizers.NamedChain(("plateau", Optimizers.ReduceOnPlateau(patience: 1)), ("ema", Optimizers.Ema(0.9))));

    private static (Params Params, OptState State) Train(GradientTransformation opt, Params p, OptState s, int from, int steps)
    {
        var grad = Grad.ValueAndGrad(q => q["~/w"].sin().sum() + q["~/b"].square().sum());
        for (var i = from; i < from + steps; i++)
        {
            var (loss, g) = grad(p);
            Params u;
            (u, s) = opt.Update(g, s, p, loss.item<double>() + (i % 3 == 0 ? 1 : 0));
            p = p.ApplyUpdates(u);
        }
        return (p, s);
    }

    [Fact]
    public void EveryStateKindRoundTripsAndTrainingContinuesIdentically()
    {
        var opt = Optimizer();
        var p0 = Params.Create([new("~/w", torch.tensor(new[] { 0.5, -1.0 }, float64)), new("~/b", torch.tensor(new[] { 2.0 }, float64))]);
        var (p, s) = Train(opt, p0, opt.Init(p0), 0, 5);
        Assert.NotEmpty(s.Inner[1].Numbers);
        Assert.Equal(["plateau", "ema"], s.Inner[2].InnerNames);

        var path = Path.Combine(dir, "optax.safetensors");
        Checkpoint.Save(path, p, optState: s);
        var c = Checkpoint.Load(path, p0);
        var restored = c.RestoreOptState(opt.Init(p0));
        Assert.True(restored.ToParams().BitwiseEquals(s.ToParams()));
        Assert.Equal(s.Inner[1].Numbers, restored.Inner[1].Numbers);
        Assert.Equal(s.Inner[2].InnerState("plateau").Numbers, restored.Inner[2].InnerState("plateau").Numbers);
        Assert.Equal(ScalarType.Bool, restored.Inner[0].Slot("found_nan")["~/w"].dtype);
        var innerMulti = restored.Inner[1].Inner[0].Inner[0];
        Assert.Equal(["adam", "look"], innerMulti.InnerNames);
        Assert.Equal(0.1, innerMulti.InnerState("adam").Number("learning_rate"));

        var (pA, sA) = Train(opt, p, s, 5, 4);
        var (pB, sB) = Train(opt, c.Params, restored, 5, 4);
        Assert.True(pA.BitwiseEquals(pB));
        Assert.True(sA.ToParams().BitwiseEquals(sB.ToParams()));
    }

    [Fact]
    public void AMissingOrMistypedNumberIsACheckpointError()
    {
        var opt = Optimizers.ReduceOnPlateau();
        var p = Params.Create([new("~/w", torch.zeros(1))]);
        var flat = opt.Init(p).ToParams();
        Assert.Contains("#scale", flat.Keys);
        Assert.Throws<MissingParameterException>(() => OptState.FromParams(flat.Without("#scale"), opt.Init(p)));
        var e = Assert.ThrowsAny<MiniHaikuException>(() => OptState.FromParams(flat.With("#scale", torch.ones(1, float32)), opt.Init(p)));
        Assert.Contains("#scale", e.Message);
        // An Sgd checkpoint does not fit a ReduceOnPlateau template.
        var path = Path.Combine(dir, "sgd.safetensors");
        Checkpoint.Save(path, p, optState: Optimizers.Sgd(0.1).Init(p));
        Assert.Throws<CheckpointException>(() => Checkpoint.Load(path).RestoreOptState(opt.Init(p)));
    }
}
