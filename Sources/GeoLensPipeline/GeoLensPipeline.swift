// GeoLensPipeline: the pipelines that make GeoLens's libraries a product, callable from Swift.
//
// - `Samples/`: `SampleSource` lists, pairs and reads tiles for every command and the trainer
//   (directories, globs and list files; suffix pairing; label remapping; nodata; the card's bands,
//   scaling and normalization) into `Sample` values of named inputs plus a label.
// - `Model/`: `ModelSession`, the one way to load a checkpoint with its card and run it.
// - `Runs/`: `EvaluationRun`, `PredictionRun` and `ExplanationRun` (with `ExplanationMerge`),
//   each observable through a progress callback; journals, shards and outputs.
// - `Manifest/`: `RunManifest`, the typed `run.json` every run directory carries.
// - `Reports/`: builders that turn run directories into `GeoLensReport` values.
// - `Errors/`: `PipelineError`, one error type with its exit status for the whole pipeline.
