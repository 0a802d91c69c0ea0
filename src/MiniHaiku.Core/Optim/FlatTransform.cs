using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

/// <summary>
/// The flat form of an elementwise <see cref="GradientTransformation"/>: the same arithmetic, element for element,
/// on whole flat buffers (<see cref="FlatLayout"/>) instead of tensor by tensor, so its cost does not grow with the
/// number of tensors. It reads and writes the same <see cref="OptState"/> structure (slots, counts, inner states)
/// as the per-tensor form, so states, checkpoints and the pure API are interchangeable between the two.
/// </summary>
internal abstract class FlatTransform
{
    /// <summary>
    /// One update. <paramref name="updates"/> is the incoming flat update (the gradient for the first link);
    /// <paramref name="owned"/> says whether this step may overwrite it. Returns the outgoing update, whether the
    /// step owns it (it never aliases a slot), and the new state.
    /// </summary>
    public abstract (Tensor Updates, bool Owned, OptState State) Update(Tensor updates, bool owned, OptState state, FlatContext context);
}

/// <summary>What a flat update works on: the layout, the flat parameters (read only), and which slot maps may be updated in place (donated).</summary>
internal sealed class FlatContext(FlatLayout layout, Tensor? parameters, Func<Params, bool> mayDonate)
{
    public FlatLayout Layout { get; } = layout;

    /// <summary>The flat parameters before the update, or null when the caller gave none.</summary>
    public Tensor? Parameters { get; } = parameters;

    /// <summary>The flat buffer of slot <paramref name="name"/> and whether it may be overwritten (a donated or freshly packed buffer).</summary>
    public (Tensor Flat, bool Owned) Slot(OptState state, string name)
    {
        var values = state.Slot(name);
        var own = Layout.TryGetFlat(values);
        if (own is not null) return (own, mayDonate(values));
        if (!Layout.Fits(values))
            throw new OptimizerStateException($"The optimizer state's '{name}' slot does not have the parameters' keys, shapes and dtype: it was made (Init) for other parameters.");
        return (Layout.Pack(values), true);
    }

    /// <summary>The slot map for <paramref name="flat"/>: the old map when <paramref name="flat"/> was updated in place in it, else new views.</summary>
    public Params Wrap(OptState state, string name, Tensor flat, bool updatedInPlace) =>
        updatedInPlace && FlatLayout.IsFlatBacked(state.Slot(name)) ? state.Slot(name) : Layout.Views(flat);

    public Tensor RequireParameters(string who) =>
        Parameters ?? throw new OptimizerStateException($"{who} needs the current parameters: call Update(grads, state, params).");

    /// <summary><c>t · s</c>, in place when <paramref name="owned"/>.</summary>
    public static Tensor Scaled(Tensor t, bool owned, Scalar s) => owned ? t.mul_(s) : t.mul(s);
}

/// <summary>Flat <see cref="Optimizers.Chain"/>: each link's flat update in turn.</summary>
internal sealed class FlatChain(FlatTransform[] links) : FlatTransform
{
    public override (Tensor Updates, bool Owned, OptState State) Update(Tensor updates, bool owned, OptState state, FlatContext context)
    {
        if (state.Inner.Count != links.Length)
            throw new OptimizerStateException($"Chain of {links.Length} transformations got a state with {state.Inner.Count} inner states: the state was made by a different optimizer.");
        var states = new OptState[links.Length];
        for (var i = 0; i < links.Length; i++) (updates, owned, states[i]) = links[i].Update(updates, owned, state.Inner[i], context);
        return (updates, owned, OptState.Of(states));
    }
}

/// <summary>Flat <see cref="Optimizers.ScaleByAdam"/>.</summary>
internal sealed class FlatAdam(double b1, double b2, double eps, double epsRoot, bool nesterov) : FlatTransform
{
    public override (Tensor Updates, bool Owned, OptState State) Update(Tensor g, bool owned, OptState s, FlatContext context)
    {
        var count = s.Count + 1;
        var c1 = Optimizers.BiasCorrection(b1, count);
        var c2 = Optimizers.BiasCorrection(b2, count);
        using var b1Scalar = b1.ToScalar();
        using var oneMinusB1 = (1 - b1).ToScalar();
        using var b2Scalar = b2.ToScalar();
        using var oneMinusB2 = (1 - b2).ToScalar();
        var (mu0, muOwned) = context.Slot(s, "mu");
        var (nu0, nuOwned) = context.Slot(s, "nu");
        var mu = FlatContext.Scaled(mu0, muOwned, b1Scalar).add_(g, oneMinusB1);
        var nu = FlatContext.Scaled(nu0, nuOwned, b2Scalar).addcmul_(g, g, oneMinusB2);
        Tensor updates;
        if (!nesterov && epsRoot == 0)
        {
            using var sqrtFactor = (c1 / Math.Sqrt(c2)).ToScalar();
            using var epsTerm = (c1 * eps).ToScalar();
            using var denominator = nu.sqrt().mul_(sqrtFactor).add_(epsTerm, SafeOps.One);
            updates = mu.div(denominator);
        }
        else
        {
            var nextC1 = Optimizers.BiasCorrection(b1, count + 1);
            using var muHat = nesterov ? mu.Times(b1 / nextC1).PlusScaledInPlace(g, (1 - b1) / c1) : mu.DividedBy(c1);
            using var denominator = nu.DividedBy(c2).PlusInPlace(epsRoot).sqrt_().PlusInPlace(eps);
            updates = muHat.div(denominator);
        }
        var slots = s.Slots
            .SetItem("mu", context.Wrap(s, "mu", mu, muOwned && ReferenceEquals(mu, mu0)))
            .SetItem("nu", context.Wrap(s, "nu", nu, nuOwned && ReferenceEquals(nu, nu0)));
        return (updates, true, new OptState(count, slots, s.Inner) { Numbers = s.Numbers, InnerNames = s.InnerNames });
    }
}

/// <summary>Flat <see cref="Optimizers.Trace"/>.</summary>
internal sealed class FlatTrace(double decay, bool nesterov) : FlatTransform
{
    public override (Tensor Updates, bool Owned, OptState State) Update(Tensor g, bool owned, OptState s, FlatContext context)
    {
        using var decayScalar = decay.ToScalar();
        var (t0, tOwned) = context.Slot(s, "trace");
        var trace = FlatContext.Scaled(t0, tOwned, decayScalar).add_(g, SafeOps.One);
        var state = s with { Slots = s.Slots.SetItem("trace", context.Wrap(s, "trace", trace, tOwned && ReferenceEquals(trace, t0))) };
        if (!nesterov) return (trace, false, state); // the update is the slot itself: the next link must not overwrite it
        var updates = owned ? g.add_(trace, decayScalar) : g.add(trace, decayScalar);
        return (updates, true, state);
    }
}

/// <summary>Flat <see cref="Optimizers.Scale"/> and <see cref="Optimizers.ScaleByLearningRate"/> (which also counts).</summary>
internal sealed class FlatScale(Func<long, double> factor, bool counts) : FlatTransform
{
    public override (Tensor Updates, bool Owned, OptState State) Update(Tensor u, bool owned, OptState s, FlatContext context)
    {
        using var f = factor(s.Count).ToScalar();
        return (FlatContext.Scaled(u, owned, f), true, counts ? s with { Count = s.Count + 1 } : s);
    }
}

/// <summary>Flat weight decay (<see cref="Optimizers.AddDecayedWeights"/>, and the scheduled, masked form, which counts).</summary>
internal sealed class FlatDecayedWeights(Func<long, double> decay, Func<string, bool>? mask, bool counts) : FlatTransform
{
    public override (Tensor Updates, bool Owned, OptState State) Update(Tensor u, bool owned, OptState s, FlatContext context)
    {
        var d = decay(s.Count);
        var next = counts ? s with { Count = s.Count + 1 } : s;
        if (d == 0) return (u, owned, next);
        var p = context.RequireParameters("Weight decay (add_decayed_weights)");
        using var dScalar = d.ToScalar();
        if (mask is null) return (owned ? u.add_(p, dScalar) : u.add(p, dScalar), true, next);
        if (!owned) u = u.clone();
        var layout = context.Layout;
        for (var i = 0; i < layout.Paths.Length; i++)
        {
            if (!mask(layout.Paths[i])) continue;
            using var us = u.narrow(0, layout.Offsets[i], layout.Sizes[i]);
            using var ps = p.narrow(0, layout.Offsets[i], layout.Sizes[i]);
            us.add_(ps, dScalar);
        }
        return (u, true, next);
    }
}

/// <summary>Flat <see cref="Optimizers.ScaleByLion"/>.</summary>
internal sealed class FlatLion(double b1, double b2) : FlatTransform
{
    public override (Tensor Updates, bool Owned, OptState State) Update(Tensor g, bool owned, OptState s, FlatContext context)
    {
        using var b1Scalar = b1.ToScalar();
        using var oneMinusB1 = (1 - b1).ToScalar();
        using var b2Scalar = b2.ToScalar();
        using var oneMinusB2 = (1 - b2).ToScalar();
        var (mu0, muOwned) = context.Slot(s, "mu");
        var updates = mu0.mul(b1Scalar).add_(g, oneMinusB1).sign_();
        var mu = FlatContext.Scaled(mu0, muOwned, b2Scalar).add_(g, oneMinusB2);
        var state = new OptState(s.Count + 1, s.Slots.SetItem("mu", context.Wrap(s, "mu", mu, muOwned && ReferenceEquals(mu, mu0))), s.Inner)
            { Numbers = s.Numbers, InnerNames = s.InnerNames };
        return (updates, true, state);
    }
}

/// <summary>Flat <see cref="Optimizers.ScaleByRms"/> / RmsProp's scaling (slots <c>nu</c>, and <c>mu</c> when centered).</summary>
internal sealed class FlatRms(double decay, double eps, bool epsInSqrt, bool centered, bool biasCorrection) : FlatTransform
{
    public override (Tensor Updates, bool Owned, OptState State) Update(Tensor g, bool owned, OptState s, FlatContext context)
    {
        var count = s.Count + 1;
        var correction = biasCorrection ? Optimizers.BiasCorrection(decay, count) : 1.0;
        using var decayScalar = decay.ToScalar();
        using var oneMinusDecay = (1 - decay).ToScalar();
        var (nu0, nuOwned) = context.Slot(s, "nu");
        var nu = FlatContext.Scaled(nu0, nuOwned, decayScalar).addcmul_(g, g, oneMinusDecay);
        var slots = s.Slots.SetItem("nu", context.Wrap(s, "nu", nu, nuOwned && ReferenceEquals(nu, nu0)));
        Tensor? mu = null;
        if (centered)
        {
            var (mu0, muOwned) = context.Slot(s, "mu");
            mu = FlatContext.Scaled(mu0, muOwned, decayScalar).add_(g, oneMinusDecay);
            slots = slots.SetItem("mu", context.Wrap(s, "mu", mu, muOwned && ReferenceEquals(mu, mu0)));
        }
        using var nuHat = correction == 1.0 ? nu.alias() : nu.DividedBy(correction);
        using var variance = mu is null ? nuHat.alias() : nuHat.Minus(mu.DividedBy(correction).Squared());
        using var denominator = epsInSqrt ? variance.Plus(eps).sqrt_() : variance.sqrt().PlusInPlace(eps);
        var updates = owned ? g.div_(denominator) : g.div(denominator);
        return (updates, true, new OptState(count, slots, s.Inner) { Numbers = s.Numbers, InnerNames = s.InnerNames });
    }
}
