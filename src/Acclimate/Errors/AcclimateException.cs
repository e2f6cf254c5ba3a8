namespace Acclimate.Errors;

/// <summary>
/// Base of every error Acclimate raises on purpose. Messages name the file, line or tensor at
/// fault, what was found and what was expected, so the CLI can print them without a stack trace.
/// </summary>
public class AcclimateException : Exception
{
    public AcclimateException(string message) : base(message) { }
    public AcclimateException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A model checkpoint (safetensors file, HF folder) is unreadable or does not fit the model.</summary>
public sealed class CheckpointException : AcclimateException
{
    public CheckpointException(string message) : base(message) { }
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A configuration file (config.json, tokenizer_config.json, recipe) is missing or invalid.</summary>
public sealed class ConfigException : AcclimateException
{
    public ConfigException(string message) : base(message) { }
    public ConfigException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Input data (corpus, dataset, inputs.json, cases file) is malformed.</summary>
public sealed class DataException : AcclimateException
{
    public DataException(string message) : base(message) { }
    public DataException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The tokenizer files of a model folder are missing or cannot be loaded.</summary>
public sealed class TokenizerException : AcclimateException
{
    public TokenizerException(string message) : base(message) { }
    public TokenizerException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The native runtime (libtorch via TorchSharp) cannot be started on this machine.</summary>
public sealed class RuntimeSetupException : AcclimateException
{
    public RuntimeSetupException(string message) : base(message) { }
    public RuntimeSetupException(string message, Exception inner) : base(message, inner) { }
}
