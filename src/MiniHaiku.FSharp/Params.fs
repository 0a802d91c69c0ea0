namespace MiniHaiku.FSharp

open System
open System.Collections.Generic
open MiniHaiku
open MiniHaiku.FSharp.CoreTypes
open TorchSharp

/// <summary>
/// Functions over <see cref="T:MiniHaiku.Params"/>, the immutable path → tensor map, with F# lists, maps
/// and options. For printing: <c>Params.shapes p</c> is an F# list that <c>%A</c> prints in full
/// (<c>[("~/Linear_0/__call__/w", [3L; 4L]); …]</c>), <c>Params.format p</c> gives Haiku's
/// <c>{'~/Linear_0/__call__/w': (3, 4), …}</c> and <c>string p</c> adds each dtype.
/// </summary>
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Params =
    /// No parameters.
    let empty : Params = CoreParams.Empty

    /// Parameters from (path, tensor) pairs; a repeated path is an error naming it.
    let ofList (entries: (string * torch.Tensor) list) : Params =
        CoreParams.Create(entries |> List.map (fun (k, v) -> KeyValuePair(k, v)))

    /// The (path, tensor) pairs, in ordinal path order.
    let toList (parameters: Params) : (string * torch.Tensor) list =
        [ for kv in parameters -> kv.Key, kv.Value ]

    /// The parameters as an F# map.
    let toMap (parameters: Params) : Map<string, torch.Tensor> =
        parameters |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq

    /// Every (path, shape), in path order: an F# list, which <c>%A</c> prints in full (up to 100 entries).
    let shapes (parameters: Params) : (string * int64 list) list =
        [ for kv in parameters -> kv.Key, List.ofArray kv.Value.shape ]

    /// The paths, in ordinal order.
    let paths (parameters: Params) : string list = List.ofSeq parameters.Keys

    /// The tensor at <c>path</c>, if any.
    let tryFind (path: string) (parameters: Params) : torch.Tensor option =
        match parameters.TryGetValue path with
        | true, t -> Some t
        | _ -> None

    /// The tensor at <c>path</c>; a missing path is a <c>MissingParameterException</c> naming the nearest one.
    let find (path: string) (parameters: Params) : torch.Tensor = parameters[path]

    /// A copy with <c>path</c> set to <c>value</c>.
    let add (path: string) (value: torch.Tensor) (parameters: Params) : Params = parameters.With(path, value)

    /// A copy without <c>path</c>.
    let remove (path: string) (parameters: Params) : Params = parameters.Without path

    /// Both sets of parameters (the second wins on equal paths).
    let merge (first: Params) (second: Params) : Params = first.Merge second

    /// The parameters whose path satisfies <c>predicate</c>.
    let filter (predicate: string -> bool) (parameters: Params) : Params = parameters.Where(Func<string, bool> predicate)

    /// Maps every tensor.
    let map (mapping: torch.Tensor -> torch.Tensor) (parameters: Params) : Params =
        parameters.Map(Func<torch.Tensor, torch.Tensor> mapping)

    /// Maps every (path, tensor).
    let mapi (mapping: string -> torch.Tensor -> torch.Tensor) (parameters: Params) : Params =
        parameters.Map(Func<string, torch.Tensor, torch.Tensor> mapping)

    /// Combines two parameter sets with the same paths, tensor by tensor.
    let map2 (mapping: torch.Tensor -> torch.Tensor -> torch.Tensor) (first: Params) (second: Params) : Params =
        first.Zip(second, Func<torch.Tensor, torch.Tensor, torch.Tensor> mapping)

    /// How many paths.
    let count (parameters: Params) : int = parameters.Count

    /// How many scalars in all tensors.
    let elementCount (parameters: Params) : int64 = parameters.ElementCount

    /// Haiku's display, <c>{'path': (3, 4), …}</c>.
    let format (parameters: Params) : string = parameters.Shapes().ToString()
