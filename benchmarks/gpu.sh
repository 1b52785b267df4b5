#!/usr/bin/env bash
# The device checks in one run, on a machine with a CUDA GPU (see CONTRIBUTING in README):
# the CUDA tests, then the GPU benchmarks. Writes logs under ${OUT:-gpu-out}/.
# Packages the GPU image lacks travel as wheels in .whl/ (captum, for attribution).
set -uo pipefail
out=${OUT:-gpu-out}; mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH=.
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=.:/tmp/site
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
python3 -m pytest -q -p no:cacheprovider -rs tests/unit/recording/test_devices.py \
    tests/unit/analysis/test_cuda.py tests/unit/training/test_trainer.py ${GPU_TESTS:-} \
    2>&1 | tee "$out/cuda-tests.log" | tail -15
python3 benchmarks/record_speed.py --device cuda 2>&1 | tee "$out/record_speed_cuda.log"
timeout 200 python3 benchmarks/train_speed.py --device cuda --adding-seconds ${ADDING_SECONDS:-20} \
    2>&1 | tee "$out/train_speed_cuda.log"
# The shipped character models' build on the GPU (their weights differ from the CPU's build).
timeout 900 python3 -m lstm_viz.pretrained build english-char-lstm python-char-lstm \
    --root "$out/gpu-build" --device cuda 2>&1 | tee "$out/build_cuda.log" | grep -v "%"
