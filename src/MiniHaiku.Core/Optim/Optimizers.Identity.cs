namespace MiniHaiku.Optim;

public static partial class Optimizers
{
    /// <summary>Passes the updates through unchanged (<c>optax.identity</c>). Stateless.</summary>
    /// <example><code>var opt = Optimizers.Identity();   // updates = gradients</code></example>
    /// <returns>The transformation.</returns>
    public static GradientTransformation Identity() => new(_ => OptState.Empty, (g, s, _) => (g, s));
}
