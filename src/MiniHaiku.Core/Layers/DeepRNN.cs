using System.Collections.Immutable;
using TorchSharp;
using static TorchSharp.torch;

namespace MiniHaiku.Layers;

/// <summary>
/// One layer of a <see cref="DeepRNN"/>: a recurrent core (any state type, <see cref="Core{TState}"/>), a stateless
/// function (<see cref="Function"/>) or a stateless layer that creates modules (<see cref="Layer"/>).
/// </summary>
public sealed class RecurrentLayer
{
    private RecurrentLayer(bool isCore, string description, Func<Tensor, object?, Model<(Tensor Output, object? State)>> step,
        Func<long?, ScalarType, object?> initialState)
    {
        IsCore = isCore;
        Description = description;
        Step = step;
        InitialState = initialState;
    }

    /// <summary>Whether this layer is a recurrent core (has a state).</summary>
    public bool IsCore { get; }

    internal string Description { get; }

    internal Func<Tensor, object?, Model<(Tensor Output, object? State)>> Step { get; }

    internal Func<long?, ScalarType, object?> InitialState { get; }

    /// <summary>A recurrent core as a layer; its state is one entry of <see cref="DeepRNNState.States"/>.</summary>
    /// <typeparam name="TState">The core's state type.</typeparam>
    /// <param name="core">The core.</param>
    /// <returns>The layer.</returns>
    public static RecurrentLayer Core<TState>(IRecurrentCore<TState> core)
    {
        ArgumentNullException.ThrowIfNull(core);
        var description = core is Module m ? m.Name.Path : core.GetType().Name;
        return new RecurrentLayer(true, description,
            (x, state) => state is TState s
                ? core.Call(x, s).Select(r => (r.Output, (object?)r.State))
                : throw new LayerInputException(description, $"DeepRNN got a state of type {state?.GetType().Name ?? "null"} for the core {description}, whose state type is {typeof(TState).Name}. Use deepRnn.InitialState(batchSize)."),
            (batch, dtype) => core.InitialState(batch, dtype));
    }

    /// <summary>
    /// A stateless layer that may create modules (e.g. <c>x => Linear.Create(8).Call(x)</c>): called inside the
    /// DeepRNN's scope, so its modules live under <c>DeepRNN_n/__call__</c>.
    /// </summary>
    /// <param name="layer">The function.</param>
    /// <returns>The layer.</returns>
    public static RecurrentLayer Layer(Func<Tensor, Model<Tensor>> layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new RecurrentLayer(false, "function", (x, _) => layer(x).Select(y => (y, (object?)null)), (_, _) => null);
    }

    /// <summary>A stateless tensor function (e.g. <c>Activations.Relu</c>); named apart from <see cref="Layer"/> so F# lambdas resolve.</summary>
    /// <param name="function">The function.</param>
    /// <returns>The layer.</returns>
    public static RecurrentLayer Function(Func<Tensor, Tensor> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Layer(x => Hk.Pure(function(x)));
    }
}

/// <summary>The state of a <see cref="DeepRNN"/>: one state per core layer, in order (Haiku's tuple of states).</summary>
/// <param name="States">The cores' states (functions have none).</param>
public sealed record DeepRNNState(ImmutableArray<object> States)
{
    /// <summary>The state of the <paramref name="index"/>-th core, typed.</summary>
    /// <typeparam name="TState">The core's state type.</typeparam>
    /// <param name="index">The core's index among the cores (functions not counted).</param>
    /// <returns>Its state.</returns>
    public TState Get<TState>(int index) => (TState)States[index];
}

/// <summary>
/// Stacks recurrent cores and functions into one core (Haiku's <c>hk.DeepRNN</c>), or, with skip
/// connections (Haiku's <c>hk.deep_rnn_with_skip_connections</c>), feeds every core after the first with
/// <c>[x, previous output]</c> and outputs the concatenation of all cores' outputs.
/// </summary>
/// <remarks>
/// The cores are created beforehand (as in Haiku) and keep their own parameter paths; functions are called
/// inside <c>{path}/__call__</c>, so modules they create live under the DeepRNN. The state is a
/// <see cref="DeepRNNState"/> with one entry per core.
/// </remarks>
/// <param name="Name">The module's name.</param>
/// <param name="Layers">The layers, in order.</param>
/// <param name="SkipConnections">Whether to use skip connections.</param>
/// <example>
/// <code>
/// // x [T, N, F] → [T, N, 4]: an LSTM, a ReLU and a GRU, one after another at every step.
/// return from l1 in LSTM.Create(8)
///        from l2 in GRU.Create(4)
///        from deep in DeepRNN.Create([RecurrentLayer.Core(l1), RecurrentLayer.Function(Activations.Relu), RecurrentLayer.Core(l2)])
///        from r in Recurrent.DynamicUnroll(deep, x, deep.InitialState(x.shape[1], x.dtype))
///        select r.Outputs;
/// </code>
/// </example>
public sealed record DeepRNN(ModuleName Name, IReadOnlyList<RecurrentLayer> Layers, bool SkipConnections) : Module(Name), IRecurrentCore<DeepRNNState>
{
    /// <summary>Creates a deep RNN (Haiku's <c>hk.DeepRNN</c>).</summary>
    /// <param name="layers">Cores (<see cref="RecurrentLayer.Core{TState}"/>), functions (<see cref="RecurrentLayer.Function"/>) and layers (<see cref="RecurrentLayer.Layer"/>).</param>
    /// <param name="name">An explicit module name, or null for <c>DeepRNN_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    public static Model<DeepRNN> Create(IReadOnlyList<RecurrentLayer> layers, string? name = null) => Create(layers, false, name);

    /// <summary>
    /// Creates a deep RNN with skip connections (Haiku's <c>hk.deep_rnn_with_skip_connections</c>): core i &gt; 0
    /// sees <c>[x, output of core i − 1]</c>; the output concatenates every core's output on the last axis.
    /// </summary>
    /// <param name="cores">The cores (functions are not allowed, as in Haiku).</param>
    /// <param name="name">An explicit module name, or null for <c>DeepRNN_n</c>.</param>
    /// <returns>A model producing the module.</returns>
    /// <exception cref="LayerConfigurationException">A layer is not a core.</exception>
    public static Model<DeepRNN> CreateWithSkipConnections(IReadOnlyList<RecurrentLayer> cores, string? name = null) => Create(cores, true, name);

    private static Model<DeepRNN> Create(IReadOnlyList<RecurrentLayer> layers, bool skip, string? name)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0 || layers.Any(l => l is null))
            throw new LayerConfigurationException(nameof(DeepRNN), "needs a non-empty list of layers, none null.");
        if (skip && layers.FirstOrDefault(l => !l.IsCore) is { } f)
            throw new LayerConfigurationException(nameof(DeepRNN), $"with skip connections needs every layer to be a recurrent core (as Haiku), but layer {layers.ToList().IndexOf(f)} is a function.");
        var copy = layers.ToArray();
        return Hk.Module(n => new DeepRNN(n, copy, skip), name);
    }

    /// <summary>Runs every layer once.</summary>
    /// <param name="x">The input at this step, <c>[batch, features]</c>.</param>
    /// <param name="state">One state per core, e.g. <see cref="InitialState"/>.</param>
    /// <returns>A model producing the last layer's output (or, with skip connections, all cores' outputs
    /// concatenated) and the cores' next states.</returns>
    /// <exception cref="LayerInputException">The state does not hold one entry per core.</exception>
    public Model<CoreOutput<DeepRNNState>> Call(Tensor x, DeepRNNState state)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(state);
        var cores = Layers.Count(l => l.IsCore);
        if (state.States.IsDefault || state.States.Length != cores)
            throw new LayerInputException(Name.Path, $"DeepRNN has {cores} cores but its state holds {(state.States.IsDefault ? 0 : state.States.Length)} states. Use deep.InitialState(batchSize).");
        var start = (Current: x, Core: 0, States: ImmutableArray<object>.Empty, Outputs: ImmutableList<Tensor>.Empty);
        return Method(
            from acc in Hk.Aggregate(Enumerable.Range(0, Layers.Count), start, (a, i) =>
            {
                var layer = Layers[i];
                var input = SkipConnections && i > 0 ? torch.cat([x, a.Current], -1) : a.Current;
                return layer.Step(input, layer.IsCore ? state.States[a.Core] : null).Select(r => layer.IsCore
                    ? (r.Output, a.Core + 1, a.States.Add(r.State!), a.Outputs.Add(r.Output))
                    : (r.Output, a.Core, a.States, a.Outputs));
            })
            select new CoreOutput<DeepRNNState>(SkipConnections ? torch.cat(acc.Outputs, -1) : acc.Current, new DeepRNNState(acc.States)), x);
    }

    /// <summary>The cores' initial states, in order.</summary>
    /// <param name="batchSize">The batch size; null for unbatched states.</param>
    /// <param name="dtype">The element type.</param>
    /// <returns>The initial state.</returns>
    public DeepRNNState InitialState(long? batchSize, ScalarType dtype = ScalarType.Float32) =>
        new([.. Layers.Where(l => l.IsCore).Select(l => l.InitialState(batchSize, dtype)!)]);
}
