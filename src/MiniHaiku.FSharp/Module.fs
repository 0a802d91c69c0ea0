namespace MiniHaiku.FSharp

open System
open MiniHaiku

/// <summary>
/// The base class of modules written in F#: <c>type Linear(name, width) = inherit Module(name)</c>.
/// Create instances with <c>Hk.create (fun name -> Linear(name, width))</c>; they are named after the
/// class (<c>Linear_0</c>, …) exactly as C# records are. Wrap each method body in <c>this.Method(…)</c> so
/// that its parameters live under <c>{module path}/{method}</c>, with <c>Call</c> as <c>__call__</c>:
/// <code>
/// type Linear(name, width: int64) =
///     inherit Module(name)
///     member this.Call(x: torch.Tensor) =
///         this.Method(model {
///             let! w = Hk.getParam "w" [ x.shape[1]; width ]
///             return x.matmul w })
/// </code>
/// It derives from the core's <see cref="T:MiniHaiku.Module"/>: F# and C# modules mix freely.
/// </summary>
[<AbstractClass>]
type Module(name: ModuleName) =
    inherit MiniHaiku.Module(name)

    /// Modules of different classes are never equal, even under the same name.
    override this.EqualityContract : Type = this.GetType()
