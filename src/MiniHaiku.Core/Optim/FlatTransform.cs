using MiniHaiku.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Optim;

/// <summary>
/// The flat form of an elementwise <see cref="GradientTransformation"/>: the same arithmetic, element for element
/// (up to the order of roundings where <see cref="UpdateValue"/> fuses kernels), on whole flat buffers (<see cref="FlatLayout"/>) instead of tensor by tensor, so its cost does not grow with the
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

    /// <summary>
    /// One update on a deferred value (<see cref="FlatValue"/>): links that only scale, add weight decay or end in a
    /// quotient (Adam) fold into it instead of running kernels, so a chain such as Adam → learning rate → apply ends in
    /// one <c>addcdiv_</c> on the parameters. By default the value is materialized and <see cref="Update"/> runs.
    /// </summary>
    public virtual (FlatValue Value, OptState State) UpdateValue(FlatValue value, OptState state, FlatContext context)
    {
        var (t, owned) = value.Materialize(context);
        var (u, uOwned, next) = Update(t, owned, state, context);
        return (FlatValue.Of(u, uOwned), next);
    }
}

/// <summary>
/// A flat update not computed yet: <c>Scale · Numerator / Denominator + ParameterCoefficient · p</c> (no denominator:
/// <c>Scale · Numerator + …</c>), with <c>p</c> the flat parameters. Applying it to <c>p</c> is
/// <c>p · (1 + ParameterCoefficient)</c> then one <c>addcdiv_</c> (or <c>add_</c>).
/// </summary>
internal readonly record struct FlatValue(Tensor Numerator, Tensor? Denominator, double Scale, double ParameterCoefficient, bool Owned)
{
    /// <summary>A plain tensor; <paramref name="owned"/> says whether it may be overwritten.</summary>
    public static FlatValue Of(Tensor t, bool owned) => new(t, null, 1.0, 0.0, owned);

    /// <summary>Whether this is a plain tensor (nothing deferred).</summary>
    public bool IsPlain => Denominator is null && Scale == 1.0 && ParameterCoefficient == 0.0;

    /// <summary>The value as a tensor and whether the caller may overwrite it.</summary>
    public (Tensor Tensor, bool Owned) Materialize(FlatContext context)
    {
        if (IsPlain) return (Numerator, Owned);
        Tensor t;
        if (Denominator is not null)
        {
            t = Numerator.div(Denominator);
            if (Scale != 1.0)
            {
                using var s = Scale.ToScalar();
                t.mul_(s);
            }
        }
        else
        {
            using var s = Scale.ToScalar();
            t = Owned ? Numerator.mul_(s) : Numerator.mul(s);
        }
        if (ParameterCoefficient != 0.0)
        {
            using var c = ParameterCoefficient.ToScalar();
            t.add_(context.RequireParameters("Weight decay (add_decayed_weights)"), c);
        }
        return (t, true);
    }

    /// <summary>This value times <paramref name="factor"/>, without a kernel.</summary>
    public FlatValue Times(double factor) => this with { Scale = Scale * factor, ParameterCoefficient = ParameterCoefficient * factor };

    /// <summary><c>p + value</c> in a new buffer, <paramref name="parameters"/> (<c>p</c>) untouched.</summary>
    public Tensor AddedTo(Tensor parameters)
    {
        if (ParameterCoefficient != 0.0)
        {
            using var keep = (1.0 + ParameterCoefficient).ToScalar();
            var target = parameters.mul(keep);
            AddTo(target, scaleParameters: false);
            return target;
        }
        using var s = Scale.ToScalar();
        return Denominator is not null ? parameters.addcdiv(Numerator, Denominator, s) : parameters.add(Numerator, s);
    }

    /// <summary>Adds this value to <paramref name="target"/> in place (<paramref name="target"/> holds the parameters <c>p</c>).</summary>
    public void AddTo(Tensor target, bool scaleParameters = true)
    {
        if (scaleParameters && ParameterCoefficient != 0.0)
        {
            using var keep = (1.0 + ParameterCoefficient).ToScalar();
            target.mul_(keep);
        }
        using var s = Scale.ToScalar();
        if (Denominator is not null) target.addcdiv_(Numerator, Denominator, s);
        else target.add_(Numerator, s);
    }
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
        var (value, next) = UpdateValue(FlatValue.Of(updates, owned), state, context);
        var (t, tOwned) = value.Materialize(context);
        return (t, tOwned, next);
    }

    public override (FlatValue Value, OptState State) UpdateValue(FlatValue value, OptState state, FlatContext context)
    {
        if (state.Inner.Count != links.Length)
            throw new OptimizerStateException($"Chain of {links.Length} transformations got a state with {state.Inner.Count} inner states: the state was made by a different optimizer.");
        var states = new OptState[links.Length];
        for (var i = 0; i < links.Length; i++) (value, states[i]) = links[i].UpdateValue(value, state.Inner[i], context);
        return (value, OptState.Of(states));
    }
}

/// <summary>Flat <see cref="Optimizers.ScaleByAdam"/>.</summary>
internal sealed class FlatAdam(double b1, double b2, double eps, double epsRoot, bool nesterov) : FlatTransform
{
    public override (Tensor Updates, bool Owned, OptState State) Update(Tensor g, bool owned, OptState s, FlatContext context)
    {
        var (value, next) = Run(g, s, context, deferred: false);
        return (value.Numerator, true, next);
    }

    public override (FlatValue Value, OptState State) UpdateValue(FlatValue value, OptState state, FlatContext context)
    {
        var (g, gOwned) = value.Materialize(context);
        if (!nesterov && epsRoot == 0 && Fused(g, gOwned, state, context) is { } fused) return fused;
        return Run(g, state, context, deferred: true);
    }

    /// <summary>
    /// The deferred step with the moments and the denominator in one managed pass (<see cref="FusedAdam"/>) when the
    /// buffers are CPU float32/float64; the denominator goes into the gradient's buffer when the step owns it. Null when
    /// the buffers do not fit (the kernels of <see cref="Run"/> then do the same).
    /// </summary>
    private (FlatValue Value, OptState State)? Fused(Tensor g, bool gOwned, OptState s, FlatContext context)
    {
        if (!FusedAdam.Fits(g)) return null; // before fetching the slots: a slot not yet flat is packed (copied) when fetched
        var (mu0, muOwned) = context.Slot(s, "mu");
        var (nu0, nuOwned) = context.Slot(s, "nu");
        if (!FusedAdam.Fits(g, mu0, nu0)) return null;
        var count = s.Count + 1;
        var c1 = Optimizers.BiasCorrection(b1, count);
        var c2 = Optimizers.BiasCorrection(b2, count);
        var mu = muOwned ? mu0 : torch.empty_like(mu0);
        var nu = nuOwned ? nu0 : torch.empty_like(nu0);
        var denominator = gOwned ? g : torch.empty_like(g);
        // m̂ / (sqrt(v̂) + eps) = (sqrt(c2) / c1) · m / (sqrt(v) + eps · sqrt(c2)): the quotient is deferred to the link
        // that applies it (one addcdiv_ on the parameters after the learning rate).
        FusedAdam.Run(g, mu0, nu0, mu, nu, denominator, 1 - b1, b2, eps * Math.Sqrt(c2));
        var slots = s.Slots
            .SetItem("mu", context.Wrap(s, "mu", mu, muOwned))
            .SetItem("nu", context.Wrap(s, "nu", nu, nuOwned));
        var next = new OptState(count, slots, s.Inner) { Numbers = s.Numbers, InnerNames = s.InnerNames };
        return (new FlatValue(mu, denominator, Math.Sqrt(c2) / c1, 0.0, Owned: false), next);
    }

    /// <summary>
    /// <c>b·m + (1 − b)·g</c>: for Float32/Float64 one <c>lerp</c> kernel, <c>m + (1 − b)(g − m)</c> (what
    /// <c>torch.optim.Adam</c> runs; TorchSharp's <c>lerp</c> takes its weight as a tensor, of the buffers' dtype, where
    /// <c>1 − b</c> has the precision of the Scalar that <c>mul_</c>/<c>add_</c> would use), else <c>mul</c> + <c>add_</c>.
    /// In place when <paramref name="owned"/>.
    /// </summary>
    internal static Tensor MovingAverage(Tensor m, bool owned, Tensor g, double b, FlatContext context)
    {
        if (context.Layout.DType is ScalarType.Float32 or ScalarType.Float64)
        {
            using var weight = torch.tensor(1 - b, context.Layout.DType, context.Layout.Device);
            return owned ? m.lerp_(g, weight) : m.lerp(g, weight);
        }
        using var bScalar = b.ToScalar();
        using var oneMinusB = (1 - b).ToScalar();
        return FlatContext.Scaled(m, owned, bScalar).add_(g, oneMinusB);
    }

    private (FlatValue Value, OptState State) Run(Tensor g, OptState s, FlatContext context, bool deferred)
    {
        var count = s.Count + 1;
        var c1 = Optimizers.BiasCorrection(b1, count);
        var c2 = Optimizers.BiasCorrection(b2, count);
        using var b2Scalar = b2.ToScalar();
        using var oneMinusB2 = (1 - b2).ToScalar();
        var (mu0, muOwned) = context.Slot(s, "mu");
        var (nu0, nuOwned) = context.Slot(s, "nu");
        var mu = MovingAverage(mu0, muOwned, g, b1, context);
        var nu = FlatContext.Scaled(nu0, nuOwned, b2Scalar).addcmul_(g, g, oneMinusB2);
        var slots = s.Slots
            .SetItem("mu", context.Wrap(s, "mu", mu, muOwned && ReferenceEquals(mu, mu0)))
            .SetItem("nu", context.Wrap(s, "nu", nu, nuOwned && ReferenceEquals(nu, nu0)));
        var next = new OptState(count, slots, s.Inner) { Numbers = s.Numbers, InnerNames = s.InnerNames };
        if (deferred && !nesterov && epsRoot == 0)
        {
            // m̂ / (sqrt(v̂) + eps) = (sqrt(c2) / c1) · m / (sqrt(v) + eps · sqrt(c2)): two kernels here, the quotient
            // deferred to the link that applies it (one addcdiv_ on the parameters after the learning rate).
            using var epsTerm = (eps * Math.Sqrt(c2)).ToScalar();
            var denominator = nu.sqrt().add_(epsTerm, SafeOps.One);
            return (new FlatValue(mu, denominator, Math.Sqrt(c2) / c1, 0.0, Owned: false), next);
        }
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
        return (FlatValue.Of(updates, true), next);
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

    public override (FlatValue Value, OptState State) UpdateValue(FlatValue value, OptState s, FlatContext context) =>
        (value.Times(factor(s.Count)), counts ? s with { Count = s.Count + 1 } : s);
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

    public override (FlatValue Value, OptState State) UpdateValue(FlatValue value, OptState s, FlatContext context)
    {
        if (mask is not null) return base.UpdateValue(value, s, context);
        var d = decay(s.Count);
        var next = counts ? s with { Count = s.Count + 1 } : s;
        if (d != 0) context.RequireParameters("Weight decay (add_decayed_weights)");
        return (value with { ParameterCoefficient = value.ParameterCoefficient + d }, next);
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

/// <summary>
/// Flat <see cref="Optimizers.ClipByGlobalNorm"/>: the norm of the whole flat buffer (accumulated in float64, as
/// <see cref="ParamsUpdates.GlobalNorm"/>), then one multiplication when it is above the limit. Equal to the
/// per-tensor form up to the order of the float64 sum.
/// </summary>
internal sealed class FlatClipByGlobalNorm(double maxNorm) : FlatTransform
{
    public override (Tensor Updates, bool Owned, OptState State) Update(Tensor g, bool owned, OptState s, FlatContext context)
    {
        double norm;
        using (var wide = g.to_type(ScalarType.Float64))
        using (var squares = wide.dot(wide))
            norm = Math.Sqrt(squares.item<double>());
        if (norm <= maxNorm) return (g, owned, s);
        using var factor = (maxNorm / norm).ToScalar();
        return (FlatContext.Scaled(g, owned, factor), true, s);
    }
}
