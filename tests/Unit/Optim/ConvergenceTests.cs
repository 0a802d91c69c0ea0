using MiniHaiku.Optim;
using static MiniHaiku.Tests.Optim.OptimizerHarness;

namespace MiniHaiku.Tests.Optim;

/// <summary>Optax's alias tests: each optimizer, with Optax's test hyperparameters, solves a parabola and the Rosenbrock function (float64).</summary>
public class ConvergenceTests
{
    /// <summary>The optimizers and hyperparameters of optax/_src/alias_test.py.</summary>
    internal static GradientTransformation Make(string name, Func<Params, Tensor> objective) => name switch
    {
        "adabelief" => Optimizers.AdaBelief(1e-2),
        "adabelief_wd" => Optimizers.AdaBelief(1e-2, weightDecay: 1e-4),
        "adadelta" => Optimizers.Adadelta(0.1),
        "adafactor" => Optimizers.Adafactor(5e-3),
        "adagrad" => Optimizers.Adagrad(1.0),
        "adam" => Optimizers.Adam(1e-1),
        "adamax" => Optimizers.Adamax(1e-1),
        "adamaxw" => Optimizers.AdamaxW(1e-1),
        "adamw" => Optimizers.AdamW(1e-1),
        "adan" => Optimizers.Adan(1e-1),
        "amsgrad" => Optimizers.AmsGrad(1e-1),
        "fromage" => Optimizers.Fromage(5e-3),
        "lamb" => Optimizers.Lamb(1e-3),
        "lars" => Optimizers.Lars(1.0),
        "lion" => Optimizers.Lion(1e-2, weightDecay: 1e-4),
        "nadam" => Optimizers.NAdam(1e-2),
        "nadamw" => Optimizers.NAdamW(1e-2),
        "noisy_sgd" => Optimizers.NoisySgd(1e-3, eta: 1e-4),
        "novograd" => Optimizers.Novograd(1e-3),
        "polyak_sgd" => Optimizers.PolyakSgd(objective, maxLearningRate: 1.0),
        "radam" => Optimizers.RAdam(5e-3),
        "rmsprop" => Optimizers.RmsProp(5e-3),
        "rmsprop_momentum" => Optimizers.RmsProp(5e-3, momentum: 0.9),
        "rprop" => Optimizers.Rprop(1e-1),
        "sgd" => Optimizers.Sgd(1e-3, momentum: 0.9),
        "sign_sgd" => Optimizers.SignSgd(1e-1),
        "sm3" => Optimizers.Sm3(1.0),
        "yogi" => Optimizers.Yogi(1e-1),
        "lbfgs" => Optimizers.Lbfgs(),
        "lbfgs_linesearch" => Optimizers.Lbfgs(objective),
        _ => throw new ArgumentException(name),
    };

    internal static readonly string[] AllNames =
    [
        "adabelief", "adabelief_wd", "adadelta", "adafactor", "adagrad", "adam", "adamax", "adamaxw", "adamw", "adan",
        "amsgrad", "fromage", "lamb", "lars", "lion", "nadam", "nadamw", "noisy_sgd", "novograd", "polyak_sgd", "radam",
        "rmsprop", "rmsprop_momentum", "rprop", "sgd", "sign_sgd", "sm3", "yogi", "lbfgs", "lbfgs_linesearch",
    ];

    public static TheoryData<string> Names() => [.. AllNames];

    [Theory]
    [MemberData(nameof(Names))]
    public void SolvesTheParabola(string name) => AssertConverges(objective => Make(name, objective), Parabola());

    /// <summary>All but sign_sgd, which (as in Optax's tests) needs a decaying learning rate on Rosenbrock: see below.</summary>
    public static TheoryData<string> RosenbrockNames() => [.. AllNames.Where(n => n != "sign_sgd")];

    [Theory]
    [MemberData(nameof(RosenbrockNames))]
    public void SolvesTheRosenbrockFunction(string name) => AssertConverges(objective => Make(name, objective), Rosenbrock());

    [Fact]
    public void SignSgdSolvesTheRosenbrockFunctionWithADecayingSchedule() =>
        AssertConverges(_ => Optimizers.SignSgd(Schedule.ExponentialDecay(1e-1, transitionSteps: 100, decayRate: 0.9)), Rosenbrock());
}
