"""Cross-check of the STAC MLM items GeoLens writes, with Python's jsonschema package.

Validates each item given on the command line (default: fixtures/stac/cloud_unet_a.item.json and
the MLM repository examples) against the MLM 1.5.2 schema committed in fixtures/stac/, resolving
its references to the classification, processing and raster schemas committed beside it. The
Swift tests run the same validation with Tests/GeoLensTestSupport/JSONSchemaValidator.swift; this
script shows that a full JSON Schema implementation agrees.

    python3 -m venv ../venv-eco && ../venv-eco/bin/pip install jsonschema
    ../venv-eco/bin/python scripts/reference/stac_validate.py [ITEM.json ...]
"""
import json
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
STAC = ROOT / "fixtures" / "stac"
SCHEMAS = {
    "https://stac-extensions.github.io/mlm/v1.5.2/schema.json": "mlm-v1.5.2.schema.json",
    "https://stac-extensions.github.io/classification/v1.1.0/schema.json": "classification-v1.1.0.schema.json",
    "https://stac-extensions.github.io/processing/v1.1.0/schema.json": "processing-v1.1.0.schema.json",
    "https://stac-extensions.github.io/raster/v1.1.0/schema.json": "raster-v1.1.0.schema.json",
}


def validator():
    store = {url: json.loads((STAC / name).read_text()) for url, name in SCHEMAS.items()}
    mlm_url = "https://stac-extensions.github.io/mlm/v1.5.2/schema.json"
    resolver = jsonschema.RefResolver(base_uri=mlm_url, referrer=store[mlm_url], store=store)
    return jsonschema.Draft7Validator(store[mlm_url], resolver=resolver)


def main(paths):
    paths = paths or [str(STAC / "cloud_unet_a.item.json"), str(STAC / "mlm-example-pytorch-geo-unet.item.json"),
                      str(STAC / "mlm-example-raster-bands.item.json")]
    check = validator()
    failed = 0
    for path in paths:
        errors = sorted(check.iter_errors(json.loads(Path(path).read_text())), key=lambda e: list(e.path))
        for error in errors:
            print(f"{path}: {'/'.join(map(str, error.path))}: {error.message[:200]}")
        print(f"{path}: {'valid' if not errors else f'{len(errors)} errors'}")
        failed += bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
