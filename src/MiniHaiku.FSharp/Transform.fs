namespace MiniHaiku.FSharp

open MiniHaiku

/// <summary>
/// <c>Init</c>/<c>Apply</c> of a <see cref="T:MiniHaiku.Transformed`2"/> as functions that take the model
/// last, for piping: <c>net |> Transform.init 42L x</c>, <c>net |> Transform.apply p x</c>.
/// </summary>
[<RequireQualifiedAccess>]
module Transform =
    /// Creates every parameter by running the model once on <c>input</c>; values depend only on (seed, path).
    let init (seed: int64) (input: 'In) (transformed: Transformed<'In, 'Out>) : Params =
        transformed.Init(seed, input)

    /// Like <c>init</c>, from a key.
    let initWithKey (key: RngKey) (input: 'In) (transformed: Transformed<'In, 'Out>) : Params =
        transformed.Init(key, input)

    /// Runs the model reading <c>parameters</c> (no random keys).
    let apply (parameters: Params) (input: 'In) (transformed: Transformed<'In, 'Out>) : 'Out =
        transformed.Apply(parameters, input)

    /// Runs the model with random keys from <c>seed</c> (e.g. dropout).
    let applyWithSeed (seed: int64) (parameters: Params) (input: 'In) (transformed: Transformed<'In, 'Out>) : 'Out =
        transformed.Apply(parameters, input, seed)

    /// Runs the model with random keys from <c>key</c>.
    let applyWithKey (key: RngKey) (parameters: Params) (input: 'In) (transformed: Transformed<'In, 'Out>) : 'Out =
        transformed.Apply(parameters, input, key)

/// <summary>
/// <c>Init</c>/<c>Apply</c> of a <see cref="T:MiniHaiku.TransformedWithState`2"/>, with F# tuples:
/// <c>let p, s = net |> TransformWithState.init 0L x</c>, <c>let y, s2 = net |> TransformWithState.apply p s x</c>.
/// </summary>
[<RequireQualifiedAccess>]
module TransformWithState =
    /// Creates every parameter and state: (parameters, initial state).
    let init (seed: int64) (input: 'In) (transformed: TransformedWithState<'In, 'Out>) : Params * Params =
        let struct (p, s) = transformed.Init(seed, input)
        p, s

    /// Like <c>init</c>, from a key.
    let initWithKey (key: RngKey) (input: 'In) (transformed: TransformedWithState<'In, 'Out>) : Params * Params =
        let struct (p, s) = transformed.Init(key, input)
        p, s

    /// Runs the model: (output, new state).
    let apply (parameters: Params) (state: Params) (input: 'In) (transformed: TransformedWithState<'In, 'Out>) : 'Out * Params =
        let struct (y, s) = transformed.Apply(parameters, state, input)
        y, s

    /// Runs the model with random keys from <c>seed</c>: (output, new state).
    let applyWithSeed (seed: int64) (parameters: Params) (state: Params) (input: 'In) (transformed: TransformedWithState<'In, 'Out>) : 'Out * Params =
        let struct (y, s) = transformed.Apply(parameters, state, input, seed)
        y, s

    /// Runs the model with random keys from <c>key</c>: (output, new state).
    let applyWithKey (key: RngKey) (parameters: Params) (state: Params) (input: 'In) (transformed: TransformedWithState<'In, 'Out>) : 'Out * Params =
        let struct (y, s) = transformed.Apply(parameters, state, input, key)
        y, s
