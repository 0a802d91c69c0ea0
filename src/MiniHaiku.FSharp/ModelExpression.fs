namespace MiniHaiku.FSharp

open System
open MiniHaiku
open MiniHaiku.FSharp.CoreTypes

/// <summary>
/// The builder behind <c>model { … }</c>: a computation expression over <see cref="T:MiniHaiku.Model`1"/>
/// (the same core the C# query syntax uses). Use the auto-opened <c>model</c> value; never construct one.
/// </summary>
/// <remarks>
/// Supports <c>let!</c>, <c>do!</c>, <c>return</c>, <c>return!</c>, <c>and!</c> (both models run, left
/// first), <c>use</c>, <c>use!</c>, <c>try … with</c>, <c>try … finally</c>, <c>for</c>, <c>while</c> and
/// <c>if … then</c> without <c>else</c>. Binds and loops run in constant stack (the core's interpreter keeps
/// its own continuation stack); each <c>try</c> nests one interpreter, so only the nesting depth of
/// <c>try</c> blocks uses native stack. A <c>try … with</c> handler continues from the frame the <c>try</c>
/// started with: parameters, state and module names made by the failed body are discarded.
/// The builder uses the core's <c>SelectMany</c>/<c>Select</c> (one step per <c>let!</c>), so a bind costs
/// about what it costs in C# (bench/MiniHaiku.FSharp.Bench).
/// </remarks>
[<Sealed>]
type ModelExpressionBuilder internal () =
    static let unitModel : Model<unit> = ModelOps.Pure(())

    /// <summary><c>return x</c>: a model producing <paramref name="value"/>.</summary>
    member _.Return(value: 'T) : Model<'T> = ModelOps.Pure value

    /// <summary><c>return! m</c>: the model itself.</summary>
    member _.ReturnFrom(model: Model<'T>) : Model<'T> = model

    /// <summary><c>let! x = m</c> / <c>do! m</c>: runs <paramref name="model"/>, then the rest with its value.</summary>
    member _.Bind(model: Model<'T>, binder: 'T -> Model<'U>) : Model<'U> =
        model.SelectMany(Func<'T, Model<'U>> binder)

    /// <summary><c>let! x = m … return f x</c>: a map, without an extra bind.</summary>
    member _.BindReturn(model: Model<'T>, mapping: 'T -> 'U) : Model<'U> =
        model.Select(Func<'T, 'U> mapping)

    /// <summary><c>let! a = m1 and! b = m2</c>: runs both (left first) and pairs their values.</summary>
    member _.MergeSources(first: Model<'T>, second: Model<'U>) : Model<'T * 'U> =
        first.SelectMany(fun a -> second.Select(fun b -> (a, b)))

    /// <summary>The empty computation (<c>if … then</c> without <c>else</c>).</summary>
    member _.Zero() : Model<unit> = unitModel

    /// <summary>Builds the rest of the expression only when the model runs (once per run).</summary>
    member _.Delay(body: unit -> Model<'T>) : Model<'T> =
        ModelOps.Defer(Func<Model<'T>> body)

    /// <summary>Runs <paramref name="first"/>, then <paramref name="second"/>.</summary>
    member _.Combine(first: Model<unit>, second: Model<'T>) : Model<'T> = first.Then second

    /// <summary><c>for x in xs do …</c>: the body once per element, in constant stack. Modules created in
    /// the body are distinct per iteration (<c>Linear_0</c>, <c>Linear_1</c>, …), as in <c>Hk.aggregate</c>.</summary>
    member _.For(items: seq<'T>, body: 'T -> Model<unit>) : Model<unit> =
        CoreHk.Aggregate(items, (), Func<unit, 'T, Model<unit>>(fun () item -> body item))

    /// <summary><c>while cond do …</c>: the body while <paramref name="guard"/> holds, in constant stack.</summary>
    member _.While(guard: unit -> bool, body: Model<unit>) : Model<unit> =
        let rec loop () : Model<unit> =
            if guard () then body.SelectMany(fun () -> loop ()) else unitModel
        unitModel.SelectMany(fun () -> loop ())

    /// <summary><c>try … with</c>: runs <paramref name="body"/>; if it throws, runs the handler's model
    /// from the frame the <c>try</c> started with.</summary>
    member _.TryWith(body: Model<'T>, handler: exn -> Model<'T>) : Model<'T> =
        ModelOps.TryWith(body, Func<exn, Model<'T>> handler)

    /// <summary><c>try … finally</c>: runs <paramref name="compensation"/> after <paramref name="body"/>,
    /// whether it returns or throws.</summary>
    member _.TryFinally(body: Model<'T>, compensation: unit -> unit) : Model<'T> =
        ModelOps.TryFinally(body, Action compensation)

    /// <summary><c>use x = …</c> / <c>use! x = …</c>: disposes <paramref name="resource"/> when the rest of
    /// the expression has run (or thrown).</summary>
    member this.Using(resource: 'R, body: 'R -> Model<'T>) : Model<'T> when 'R :> IDisposable =
        this.TryFinally(
            this.Delay(fun () -> body resource),
            fun () ->
                match box resource with
                | null -> ()
                | _ -> resource.Dispose())

/// The <c>model { … }</c> computation expression, opened with <c>MiniHaiku.FSharp</c>.
[<AutoOpen>]
module ModelExpression =
    /// <summary>
    /// Builds a <see cref="T:MiniHaiku.Model`1"/>:
    /// <c>model { let! w = Hk.getParam "w" [ 3L; 4L ] in return x.matmul w }</c>.
    /// </summary>
    let model = ModelExpressionBuilder()
