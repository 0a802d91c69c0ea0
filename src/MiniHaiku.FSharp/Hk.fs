namespace MiniHaiku.FSharp

open System
open MiniHaiku
open MiniHaiku.FSharp.CoreTypes
open TorchSharp

/// <summary>
/// The core's <c>Hk</c> entry points as curried F# functions: shapes as <c>int64 list</c>, names as
/// strings (never null), options instead of nullables, F# lists and tuples in results. The C# methods
/// (<c>Hk.GetParam</c>, …) stay reachable under the same <c>Hk.</c> prefix.
/// </summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Hk =
    /// <summary>The parameter <c>name</c> of the current scope, <c>{scope}/{name}</c>: created during Init
    /// (standard normal, float32), read during Apply. <c>Hk.getParam "w" [ 3L; 4L ]</c>.</summary>
    let getParam (name: string) (shape: int64 list) : Model<torch.Tensor> =
        CoreHk.GetParam(name, List.toArray shape)

    /// <summary>Like <c>getParam</c>, created by <c>init</c> (e.g. <c>Initializers.Zeros()</c>).</summary>
    let getParamWith (init: Initializer) (name: string) (shape: int64 list) : Model<torch.Tensor> =
        CoreHk.GetParam(name, List.toArray shape, init)

    /// <summary>Like <c>getParamWith</c>, with an element type other than float32.</summary>
    let getParamOf (dtype: torch.ScalarType) (init: Initializer) (name: string) (shape: int64 list) : Model<torch.Tensor> =
        CoreHk.GetParam(name, List.toArray shape, init, Nullable dtype)

    /// <summary>An existing parameter, without stating its shape (Apply, or a second use during Init).</summary>
    let getExistingParam (name: string) : Model<torch.Tensor> = CoreHk.GetParam name

    /// <summary>The state <c>name</c> of the current scope (under <c>Hk.transformWithState</c>); zeros when first created.</summary>
    let getState (name: string) (shape: int64 list) : Model<torch.Tensor> =
        CoreHk.GetState(name, List.toArray shape)

    /// <summary>Like <c>getState</c>, first created by <c>init</c>.</summary>
    let getStateWith (init: Initializer) (name: string) (shape: int64 list) : Model<torch.Tensor> =
        CoreHk.GetState(name, List.toArray shape, init)

    /// <summary>Sets the state <c>name</c>: <c>do! Hk.setState "count" c</c>.</summary>
    let setState (name: string) (value: torch.Tensor) : Model<unit> =
        CoreHk.SetState(name, value).Select(fun _ -> ())

    /// <summary>A fresh random key (Apply needs a seed or key: <c>Transform.applyWithSeed</c>).</summary>
    let nextRngKey : Model<RngKey> = CoreHk.NextRngKey()

    /// <summary>A fresh random key, or <c>None</c> when the caller gave none.</summary>
    let maybeNextRngKey : Model<RngKey option> =
        CoreHk.MaybeNextRngKey().Select(fun key -> Option.ofNullable key)

    /// <summary>The current scope path, e.g. <c>~/MLP_0/__call__</c>.</summary>
    let currentScope : Model<string> = CoreHk.CurrentScope()

    /// <summary>True during Init, false during Apply.</summary>
    let runningInit : Model<bool> = CoreHk.RunningInit()

    /// <summary>Every parameter known at this point (Haiku's <c>hk.get_params</c>): those created so far during Init,
    /// all those given during Apply. <c>let! ps = Hk.getParams</c></summary>
    let getParams : Model<Params> = CoreHk.GetParams()

    /// <summary>The current value of every state (Haiku's <c>hk.get_current_state</c>).</summary>
    let getCurrentState : Model<Params> = CoreHk.GetCurrentState()

    /// <summary>The first value each state took during Init (Haiku's <c>hk.get_initial_state</c>); empty during Apply.</summary>
    let getInitialState : Model<Params> = CoreHk.GetInitialState()

    /// <summary>The key the run's key sequence splits from next, or <c>None</c> when the caller gave none (Haiku's
    /// <c>hk.maybe_get_rng_sequence_state</c>); draws nothing.</summary>
    let maybeGetRngSequenceState : Model<RngKey option> =
        CoreHk.MaybeGetRngSequenceState().Select(fun key -> Option.ofNullable key)

    /// <summary>Creates a module named <c>{TypeName}_{n}</c> in the current scope:
    /// <c>Hk.create (fun name -> Linear(name, 4L))</c> (the class must inherit <c>Module</c>).</summary>
    let create (make: ModuleName -> 'M) : Model<'M> when 'M :> MiniHaiku.Module =
        CoreHk.Module(Func<ModuleName, 'M> make)

    /// <summary>Creates a module with an explicit name (unique in this scope invocation).</summary>
    let createNamed (name: string) (make: ModuleName -> 'M) : Model<'M> when 'M :> MiniHaiku.Module =
        CoreHk.Module(Func<ModuleName, 'M> make, name)

    /// <summary>Creates a module named <c>name</c> when given, else <c>{TypeName}_{n}</c> (for <c>?name</c> arguments).</summary>
    let createWith (name: string option) (make: ModuleName -> 'M) : Model<'M> when 'M :> MiniHaiku.Module =
        CoreHk.Module(Func<ModuleName, 'M> make, Option.toObj name)

    /// <summary>A module made from a function (Haiku's <c>hk.to_module</c>), counted as <c>typeName</c>.</summary>
    let toModule (typeName: string) (body: 'In -> Model<'Out>) : Model<FunctionModule<'In, 'Out>> =
        CoreHk.ToModule(typeName, Func<'In, Model<'Out>> body)

    /// <summary>Turns a model function into pure <c>Init</c>/<c>Apply</c> (see the <c>Transform</c> module).</summary>
    let transform (f: 'In -> Model<'Out>) : Transformed<'In, 'Out> = CoreHk.Transform(Func<'In, Model<'Out>> f)

    /// <summary>Like <c>transform</c>, for models with state (see the <c>TransformWithState</c> module).</summary>
    let transformWithState (f: 'In -> Model<'Out>) : TransformedWithState<'In, 'Out> =
        CoreHk.TransformWithState(Func<'In, Model<'Out>> f)

    /// <summary>Runs <c>whenTrue</c> or <c>whenFalse</c>; Init initialises both.</summary>
    let cond (predicate: bool) (whenTrue: Model<'T>) (whenFalse: Model<'T>) : Model<'T> =
        CoreHk.Cond(predicate, whenTrue, whenFalse)

    /// <summary>Like <c>cond</c>, on a boolean scalar tensor.</summary>
    let condOn (predicate: torch.Tensor) (whenTrue: Model<'T>) (whenFalse: Model<'T>) : Model<'T> =
        CoreHk.Cond(predicate, whenTrue, whenFalse)

    /// <summary>Runs branch <c>index</c>; Init initialises every branch.</summary>
    let switch (index: int) (branches: Model<'T> list) : Model<'T> =
        CoreHk.Switch(index, List.toArray branches)

    /// <summary>Folds <c>step</c> over <c>items</c>, one body whose modules share their parameters across steps.</summary>
    let fold (step: 'Acc -> 'Item -> Model<'Acc>) (seed: 'Acc) (items: seq<'Item>) : Model<'Acc> =
        CoreHk.Fold(items, seed, Func<'Acc, 'Item, Model<'Acc>> step)

    /// <summary>Folds <c>step</c> over <c>items</c>, creating distinct modules per step (a stack of layers).</summary>
    let aggregate (step: 'Acc -> 'Item -> Model<'Acc>) (seed: 'Acc) (items: seq<'Item>) : Model<'Acc> =
        CoreHk.Aggregate(items, seed, Func<'Acc, 'Item, Model<'Acc>> step)

    /// <summary>Runs <c>step</c> <c>count</c> times (index, carry), sharing parameters across steps.</summary>
    let repeat (count: int) (step: int -> 'Carry -> Model<'Carry>) (init: 'Carry) : Model<'Carry> =
        CoreHk.Repeat(count, Func<int, 'Carry, Model<'Carry>> step, init)

    /// <summary>Haiku's <c>hk.scan</c>: threads a carry through <c>xs</c>, collecting each step's output.</summary>
    let scan (step: 'Carry -> 'In -> Model<'Carry * 'Out>) (init: 'Carry) (xs: seq<'In>) : Model<'Carry * 'Out list> =
        let structStep = Func<'Carry, 'In, Model<struct ('Carry * 'Out)>>(fun c x -> (step c x).Select(fun (c2, y) -> struct (c2, y)))
        CoreHk.Scan(structStep, init, xs).Select(fun r -> r.Carry, List.ofSeq r.Outputs)

    /// <summary>Runs the models in order, collecting their values.</summary>
    let sequence (models: Model<'T> list) : Model<'T list> =
        CoreHk.Sequence(models).Select(fun values -> List.ofSeq values)

    /// <summary>Runs another transformed model inside this one, its parameters under <c>{scope}/{name}</c>.</summary>
    let lift (name: string) (inner: Transformed<'In, 'Out>) : 'In -> Model<'Out> =
        let f = CoreHk.Lift(inner, name)
        fun input -> f.Invoke input

    /// <summary>Like <c>lift</c>, for a model with state (its state joins this model's state).</summary>
    let liftWithState (name: string) (inner: TransformedWithState<'In, 'Out>) : 'In -> Model<'Out> =
        let f = CoreHk.Lift(inner, name)
        fun input -> f.Invoke input

    /// <summary>Inverted dropout with a key from the frame (Apply needs a seed or key).</summary>
    let dropout (rate: float) (x: torch.Tensor) : Model<torch.Tensor> = CoreHk.Dropout(rate, x)

    /// <summary>Dropout while training; the identity (no key drawn) otherwise.</summary>
    let dropoutWhen (isTraining: bool) (rate: float) (x: torch.Tensor) : Model<torch.Tensor> =
        CoreHk.Dropout(rate, x, isTraining)
