using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>
    /// Changes updates so that no parameter becomes negative (<c>optax.keep_params_nonnegative</c>): where
    /// <c>p + u &lt; 0</c> the update becomes <c>−p</c> (the parameter lands on 0). Needs the parameters,
    /// which should start non-negative. Stateless.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.Sgd(0.1), Optimizers.KeepParamsNonnegative());   // needs Update(grads, state, p)</code></example>
    /// <returns>The transformation.</returns>
    public static GradientTransformation KeepParamsNonnegative() =>
        new(_ => OptState.Empty, (g, s, p) =>
        {
            var ps = RequireParams(p, nameof(KeepParamsNonnegative));
            return (g.Map((path, u) =>
            {
                using var scope = torch.NewDisposeScope();
                var param = ps[path];
                return torch.where(param.Plus(u).LessThan(0), param.neg(), u).MoveToOuterDisposeScope();
            }), s);
        });

    /// <summary>
    /// Replaces NaN update elements by zeros (<c>optax.zero_nans</c>). The state's slot <c>found_nan</c>
    /// holds, per parameter, a boolean scalar telling whether the last update had a NaN.
    /// </summary>
    /// <example><code>var opt = Optimizers.Chain(Optimizers.ZeroNans(), Optimizers.Adam(1e-3));</code></example>
    /// <returns>The transformation, with slot <c>found_nan</c>.</returns>
    public static GradientTransformation ZeroNans() =>
        new(p => OptState.WithSlots(("found_nan", p.Map(t => torch.zeros([], ScalarType.Bool, t.device)))), (g, s, _) =>
        {
            var found = g.Map(t =>
            {
                using var isNan = t.isnan();
                return isNan.any();
            });
            var updates = g.Map(t =>
            {
                using var isNan = t.isnan();
                using var zeros = torch.zeros_like(t);
                return torch.where(isNan, zeros, t);
            });
            return (updates, s with { Slots = s.Slots.SetItem("found_nan", found) });
        });
}
