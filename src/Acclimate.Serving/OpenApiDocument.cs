using System.Text.Json.Nodes;

namespace Acclimate.Serving;

/// <summary>
/// The OpenAPI 3.1 description served at <c>/openapi.json</c>, written out by hand: five
/// operations and a handful of schemas do not need a generator, and the document then says
/// exactly what the handlers do (limits included).
/// </summary>
internal static class OpenApiDocument
{
    public static JsonObject Build(ServedModelKind kind, ServeOptions options)
    {
        JsonObject Ref(string name) => new() { ["$ref"] = "#/components/schemas/" + name };
        JsonObject JsonBody(JsonObject schema) => new() { ["application/json"] = new JsonObject { ["schema"] = schema } };
        JsonObject Response(string description, JsonObject schema) => new() { ["description"] = description, ["content"] = JsonBody(schema) };
        JsonObject Errors() => new()
        {
            ["200"] = null,
            ["400"] = Response("Bad JSON, no \"texts\" array, an empty or non-string text, or a model of the other kind.", Ref("Error")),
            ["413"] = Response($"Over a limit: max_body_bytes = {options.MaxBodyBytes}, max_texts = {options.MaxTexts}, max_text_chars = {options.MaxTextChars} (named in \"limit\").", Ref("Error")),
        };
        JsonObject Post(string summary, string okDescription, string okSchema)
        {
            var responses = Errors();
            responses["200"] = Response(okDescription, Ref(okSchema));
            return new JsonObject
            {
                ["post"] = new JsonObject
                {
                    ["summary"] = summary,
                    ["requestBody"] = new JsonObject { ["required"] = true, ["content"] = JsonBody(Ref("TextsRequest")) },
                    ["responses"] = responses,
                },
            };
        }
        JsonObject Str() => new() { ["type"] = "string" };
        JsonObject Int() => new() { ["type"] = "integer" };
        JsonObject Num() => new() { ["type"] = "number" };
        JsonObject Obj(JsonObject properties, params string[] required) => new()
        {
            ["type"] = "object", ["properties"] = properties, ["required"] = new JsonArray(required.Select(r => (JsonNode?)r).ToArray()),
        };
        JsonObject Arr(JsonObject items) => new() { ["type"] = "array", ["items"] = items };

        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject
            {
                ["title"] = "Acclimate serve",
                ["version"] = "1",
                ["description"] = $"A {kind.ToString().ToLowerInvariant()} served by `acclimate serve`. Concurrent requests are micro-batched into one model pass.",
            },
            ["paths"] = new JsonObject
            {
                ["/v1/predict"] = Post("Entities with character offsets and confidence (tagger), or a label with class probabilities (classifier).", "One result per text, in order.", "PredictResponse"),
                ["/v1/embed"] = Post("L2-normalised sentence embeddings (encoder folders).", "One embedding per text, in order.", "EmbedResponse"),
                ["/healthz"] = new JsonObject { ["get"] = new JsonObject { ["summary"] = "Liveness, the model's kind and labels, and batch counters.", ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "Serving." } } } },
                ["/openapi.json"] = new JsonObject { ["get"] = new JsonObject { ["summary"] = "This document.", ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OpenAPI 3.1 JSON." } } } },
                ["/"] = new JsonObject { ["get"] = new JsonObject { ["summary"] = "A page to paste text into and see entities highlighted (?text=… fills and runs it).", ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "HTML." } } } },
            },
            ["components"] = new JsonObject
            {
                ["schemas"] = new JsonObject
                {
                    ["TextsRequest"] = Obj(new JsonObject { ["texts"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["maxLength"] = options.MaxTextChars }, ["minItems"] = 1, ["maxItems"] = options.MaxTexts } }, "texts"),
                    ["Entity"] = Obj(new JsonObject
                    {
                        ["type"] = Str(), ["start"] = Int(), ["end"] = Int(), ["text"] = Str(),
                        ["confidence"] = new JsonObject { ["type"] = "number", ["description"] = "Probability under the model that the entity's words carry exactly the predicted tags (CRF: exact marginal of the tag span; softmax head: product of the words' probabilities)." },
                    }, "type", "start", "end", "text", "confidence"),
                    ["Result"] = Obj(new JsonObject
                    {
                        ["text"] = Str(),
                        ["entities"] = Arr(Ref("Entity")),
                        ["label"] = Str(),
                        ["probabilities"] = new JsonObject { ["type"] = "object", ["additionalProperties"] = Num() },
                    }, "text"),
                    ["PredictResponse"] = Obj(new JsonObject { ["kind"] = Str(), ["results"] = Arr(Ref("Result")) }, "kind", "results"),
                    ["EmbedResponse"] = Obj(new JsonObject { ["dimension"] = Int(), ["embeddings"] = Arr(Arr(Num())) }, "dimension", "embeddings"),
                    ["Error"] = Obj(new JsonObject { ["error"] = Str(), ["limit"] = Str(), ["max"] = Int() }, "error"),
                },
            },
        };
    }
}
