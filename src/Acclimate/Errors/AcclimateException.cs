namespace Acclimate.Errors;

/// <summary>
/// Base of every error Acclimate raises on purpose. Messages name the file, line or tensor at
/// fault, what was found and what was expected, so the CLI can print them without a stack trace.
/// </summary>
public class AcclimateException : Exception
{
    /// <summary>An error with a message for the user.</summary>
    /// <param name="message">What was found and what was expected, naming the file, line or tensor.</param>
    public AcclimateException(string message) : base(message) { }
    /// <summary>An error with the exception that caused it.</summary>
    /// <param name="message">What was found and what was expected, naming the file, line or tensor.</param>
    /// <param name="inner">The underlying exception.</param>
    public AcclimateException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A model checkpoint (safetensors file, HF folder) is unreadable or does not fit the model.</summary>
public sealed class CheckpointException : AcclimateException
{
    /// <summary>A checkpoint error.</summary>
    /// <param name="message">What was found and what was expected, naming the file or tensor.</param>
    public CheckpointException(string message) : base(message) { }
    /// <summary>A checkpoint error with its cause.</summary>
    /// <param name="message">What was found and what was expected, naming the file or tensor.</param>
    /// <param name="inner">The underlying exception.</param>
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A configuration file (config.json, tokenizer_config.json, recipe) is missing or invalid.</summary>
public sealed class ConfigException : AcclimateException
{
    /// <summary>A configuration error.</summary>
    /// <param name="message">The setting, its value and what is allowed.</param>
    public ConfigException(string message) : base(message) { }
    /// <summary>A configuration error with its cause.</summary>
    /// <param name="message">The setting, its value and what is allowed.</param>
    /// <param name="inner">The underlying exception.</param>
    public ConfigException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Input data (corpus, dataset, inputs.json, cases file) is malformed.</summary>
public sealed class DataException : AcclimateException
{
    /// <summary>A data error.</summary>
    /// <param name="message">The file and line, what was found and what was expected.</param>
    public DataException(string message) : base(message) { }
    /// <summary>A data error with its cause.</summary>
    /// <param name="message">The file and line, what was found and what was expected.</param>
    /// <param name="inner">The underlying exception.</param>
    public DataException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The tokenizer files of a model folder are missing or cannot be loaded.</summary>
public sealed class TokenizerException : AcclimateException
{
    /// <summary>A tokenizer error.</summary>
    /// <param name="message">The tokenizer file and what is wrong with it.</param>
    public TokenizerException(string message) : base(message) { }
    /// <summary>A tokenizer error with its cause.</summary>
    /// <param name="message">The tokenizer file and what is wrong with it.</param>
    /// <param name="inner">The underlying exception.</param>
    public TokenizerException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The native runtime (libtorch via TorchSharp) cannot be started on this machine.</summary>
public sealed class RuntimeSetupException : AcclimateException
{
    /// <summary>A runtime set-up error.</summary>
    /// <param name="message">What could not be set up and how to fix it.</param>
    public RuntimeSetupException(string message) : base(message) { }
    /// <summary>A runtime set-up error with its cause.</summary>
    /// <param name="message">What could not be set up and how to fix it.</param>
    /// <param name="inner">The underlying exception.</param>
    public RuntimeSetupException(string message, Exception inner) : base(message, inner) { }
}
