#!/usr/bin/env python3
"""Checks an Acclimate LoRA adapter against its base and the run's merged folder with plain PyTorch
(no PEFT, no transformers, no safetensors package: the files are parsed here).

  python3 bench/lora-adapter-check.py BASE_DIR ADAPTER_DIR MERGED_DIR

- adapter_config.json has the fields PEFT's LoraConfig reads (peft_type LORA, r, lora_alpha,
  lora_dropout, target_modules, bias, fan_in_fan_out false, task_type, base_model_name_or_path);
- every key of adapter_model.safetensors is `base_model.model.<module>.lora_A.weight`,
  `…lora_B.weight` (A [r, in], B [out, r]) for a module in target_modules, or
  `base_model.model.<tensor key>` of a trained tensor that exists in the base;
- for every target, MERGED's weight == BASE's weight + (lora_alpha / r) · B @ A (computed here in
  float64; the largest difference is printed) and every tensor MERGED does not adapt or take from
  the adapter equals BASE's bit for bit.
Keys are matched with or without the model-type prefix (`bert.`), as a bare encoder folder
(a tagger's model.safetensors) has no prefix while the adapter's paths do.
"""
import json, struct, sys
import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[key] = torch.from_numpy(array.copy())
    return out


def main(base_dir, adapter_dir, merged_dir):
    config = json.load(open(f"{adapter_dir}/adapter_config.json"))
    for field in ["peft_type", "r", "lora_alpha", "lora_dropout", "target_modules", "bias", "fan_in_fan_out", "task_type", "base_model_name_or_path"]:
        assert field in config, f"adapter_config.json lacks {field}"
    assert config["peft_type"] == "LORA" and config["fan_in_fan_out"] is False
    r, alpha = config["r"], config["lora_alpha"]
    scale = alpha / r
    base = read_safetensors(f"{base_dir}/model.safetensors")
    adapter = read_safetensors(f"{adapter_dir}/adapter_model.safetensors")
    merged = read_safetensors(f"{merged_dir}/model.safetensors")
    model_type = json.load(open(f"{base_dir}/config.json"))["model_type"]

    def resolve(keys, key):
        if key in keys:
            return key
        prefix = model_type + "."
        if key.startswith(prefix) and key[len(prefix):] in keys:
            return key[len(prefix):]
        return prefix + key if prefix + key in keys else None

    prefix = "base_model.model."
    assert all(k.startswith(prefix) for k in adapter), "a key without base_model.model."
    worst = 0.0
    touched = set()
    for module in config["target_modules"]:
        a = adapter[f"{prefix}{module}.lora_A.weight"].double()
        b = adapter[f"{prefix}{module}.lora_B.weight"].double()
        base_key, merged_key = resolve(base, module + ".weight"), resolve(merged, module + ".weight")
        assert base_key and merged_key, f"{module}.weight missing from base or merged"
        w = base[base_key].double()
        assert a.shape == (r, w.shape[1]) and b.shape == (w.shape[0], r), f"{module}: A {tuple(a.shape)}, B {tuple(b.shape)}, W {tuple(w.shape)}"
        diff = (merged[merged_key].double() - (w + scale * (b @ a))).abs().max().item()
        worst = max(worst, diff)
        touched.add(merged_key)
    others = [k for k in adapter if not (k.endswith(".lora_A.weight") or k.endswith(".lora_B.weight"))]
    for key in others:
        plain = key[len(prefix):]
        merged_key = resolve(merged, plain)
        if merged_key is None:
            continue   # a head kept outside model.safetensors (a tagger's head.safetensors)
        assert torch.equal(merged[merged_key], adapter[key]), f"{plain}: merged differs from the adapter's trained value"
        touched.add(merged_key)
    untouched = [k for k in merged if k not in touched and resolve(base, k)]
    same = sum(torch.equal(merged[k], base[resolve(base, k)]) for k in untouched)
    print(f"{len(config['target_modules'])} targets, r={r}, alpha={alpha}: max |merged - (W + alpha/r·B@A)| = {worst:.3g}; "
          f"{len(others)} other trained tensors; {same}/{len(untouched)} untouched tensors equal the base bit for bit")
    assert worst < 1e-5 and same == len(untouched)


if __name__ == "__main__":
    main(*sys.argv[1:4])
