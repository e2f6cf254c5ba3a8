using Mono.Cecil;
using Mono.Cecil.Cil;

// Weaves GC.KeepAlive into TorchSharp.dll so that no managed wrapper (Tensor, Scalar, Generator, …)
// can be finalized while native code still uses its handle.
//
// Why: TorchSharp's wrappers free their native object in a finalizer, and its methods pass raw
// IntPtr handles to P/Invoke calls without keeping the wrapper alive. Once optimized, the JIT ends
// an argument's lifetime after its handle is loaded, so a garbage collection triggered by another
// thread during the native call lets the finalizer thread free a Scalar or Tensor libtorch is still
// reading ("Unknown scalar type", SIGSEGV in bump_version). Implicit temporaries (t.mul_(0.5),
// Embedding.weight) are the common case, inside TorchSharp (its optimizers) as much as in callers.
//
// What: every method that calls a P/Invoke gets, before each return, GC.KeepAlive for `this` and
// every reference-typed argument and local. That extends lifetimes to the end of the call, which
// is what the code assumed; it costs nothing at run time. The assembly is marked so a second run
// does nothing. Usage: KeepAliveWeaver <path to TorchSharp.dll>
if (args.Length != 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: KeepAliveWeaver <TorchSharp.dll>");
    return 2;
}
var path = args[0];
const string Marker = "AcclimateKeepAliveWoven";
var resolver = new DefaultAssemblyResolver();
resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
ModuleDefinition module;
using (var input = new MemoryStream(File.ReadAllBytes(path)))
{
    module = ModuleDefinition.ReadModule(input, new ReaderParameters { AssemblyResolver = resolver, ReadSymbols = false });
    if (module.Resources.Any(r => r.Name == Marker))
    {
        Console.WriteLine($"KeepAliveWeaver: {path} is already woven.");
        return 0;
    }
    var keepAlive = module.ImportReference(typeof(GC).GetMethod(nameof(GC.KeepAlive))!);
    int methods = 0, returns = 0;
    foreach (var type in AllTypes(module))
        foreach (var method in type.Methods)
        {
            if (!method.HasBody || !CallsNative(method)) continue;
            var kept = new List<Instruction>();
            if (method.HasThis && !method.DeclaringType.IsValueType) kept.Add(Instruction.Create(OpCodes.Ldarg_0));
            foreach (var p in method.Parameters)
                if (IsObjectReference(p.ParameterType)) kept.Add(Instruction.Create(OpCodes.Ldarg, p));
            foreach (var v in method.Body.Variables)
                if (IsObjectReference(v.VariableType)) kept.Add(Instruction.Create(OpCodes.Ldloc, v));
            if (kept.Count == 0) continue;
            var il = method.Body.GetILProcessor();
            foreach (var ret in method.Body.Instructions.Where(i => i.OpCode == OpCodes.Ret).ToList())
            {
                // The ret instruction itself becomes the first load, so branches that targeted the
                // return now run the keep-alives first; a new ret follows them.
                ret.OpCode = kept[0].OpCode;
                ret.Operand = kept[0].Operand;
                var after = ret;
                foreach (var load in kept.Skip(1).Prepend(null))
                {
                    if (load is not null)
                    {
                        var copy = Instruction.Create(OpCodes.Nop);
                        copy.OpCode = load.OpCode;
                        copy.Operand = load.Operand;
                        il.InsertAfter(after, copy);
                        after = copy;
                    }
                    var call = Instruction.Create(OpCodes.Call, keepAlive);
                    il.InsertAfter(after, call);
                    after = call;
                }
                il.InsertAfter(after, Instruction.Create(OpCodes.Ret));
                returns++;
            }
            method.Body.MaxStackSize += 1;
            methods++;
        }
    module.Resources.Add(new EmbeddedResource(Marker, ManifestResourceAttributes.Private, Array.Empty<byte>()));
    var temp = path + ".weaving";
    module.Write(temp);
    module.Dispose();
    File.Move(temp, path, overwrite: true);
    Console.WriteLine($"KeepAliveWeaver: {path}: {methods} methods, {returns} returns woven.");
}
return 0;

static IEnumerable<TypeDefinition> AllTypes(ModuleDefinition module)
{
    var stack = new Stack<TypeDefinition>(module.Types);
    while (stack.Count > 0)
    {
        var t = stack.Pop();
        yield return t;
        foreach (var n in t.NestedTypes) stack.Push(n);
    }
}

static bool CallsNative(MethodDefinition method) =>
    method.Body.Instructions.Any(i => (i.OpCode == OpCodes.Call || i.OpCode == OpCodes.Callvirt) && i.Operand is MethodReference m && m.Resolve() is { IsPInvokeImpl: true });

static bool IsObjectReference(TypeReference type)
{
    // Modifiers (modreq/modopt) wrap the real type; pinned locals are already kept alive and may be byrefs.
    while (type is IModifierType modified) type = modified.ElementType;
    if (type.IsPinned || type.IsByReference || type.IsPointer || type.IsFunctionPointer || type.IsGenericParameter || type.IsValueType)
        return false;
    if (type.MetadataType is MetadataType.Void or MetadataType.TypedByReference) return false;
    if (type.IsArray) return true;
    // A reference into another assembly may not say it is a value type; the definition does.
    var definition = type.Resolve();
    return definition is null ? type.MetadataType is MetadataType.Object or MetadataType.String : !definition.IsValueType;
}
