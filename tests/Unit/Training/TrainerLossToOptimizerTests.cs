using MiniHaiku.Optim;
using MiniHaiku.Training;

namespace MiniHaiku.Tests.Training;

public class TrainerLossToOptimizerTests
{
    /// <summary>Trainer.Step passes the batch loss to the optimizer, so ReduceOnPlateau works inside the training loop.</summary>
    [Fact]
    public void ReduceOnPlateauSeesTheLossInsideTheTrainer()
    {
        // A constant loss improves only on its first value (on +inf): with patience 1 the scale then halves at every step.
        var trainer = Trainer.Create<int>((p, _, _) => p["~/w"].sum() * 0 + 3.0,
            Optimizers.Chain(Optimizers.Sgd(1.0), Optimizers.ReduceOnPlateau(factor: 0.5, patience: 1)));
        var p0 = Params.Create([new("~/w", torch.zeros(1, float64))]);
        var state = trainer.Fit(trainer.Init(p0, seed: 0), [1, 2, 3, 4, 5]);
        var plateau = state.OptState.Inner[1];
        Assert.Equal(3.0, plateau.Number("best_value"));
        Assert.Equal(0.0625, plateau.Number("scale"));
    }
}
