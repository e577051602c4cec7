"""The tutorials' map onto AutoGluon-MM's tutorials (docs/tutorial_map.py): every runnable AutoGluon-MM tutorial
has at least one automm tutorial, and the calls a tutorial makes are read from its code."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load():
    spec = importlib.util.spec_from_file_location("automm_docs_tutorial_map", ROOT / "docs" / "tutorial_map.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tutorial_map = _load()

# Table C of the compatibility review less the four data-download pages (C21-C24) and the reference page (C26).
RUNNABLE = [
    "multimodal_prediction/multimodal-quick-start",  # C1
    "multimodal_prediction/beginner_multimodal",  # C2
    "multimodal_prediction/multimodal_text_tabular",  # C3
    "multimodal_prediction/multimodal_ner",  # C4
    "text_prediction/beginner_text",  # C5
    "text_prediction/multilingual_text",  # C6
    "text_prediction/ner",  # C7
    "text_prediction/chinese_ner",  # C8
    "image_prediction/beginner_image_cls",  # C9
    "image_prediction/clip_zeroshot",  # C10
    "semantic_matching/text2text_matching",  # C11
    "semantic_matching/image2image_matching",  # C12
    "semantic_matching/image_text_matching",  # C13
    "semantic_matching/text_semantic_search",  # C14
    "semantic_matching/zero_shot_img_txt_matching",  # C15
    "object_detection/quick_start/quick_start_coco",  # C16
    "object_detection/advanced/finetune_coco",  # C17
    "object_detection/data_preparation/object_detection_with_dataframe",  # C18
    "object_detection/data_preparation/convert_data_to_coco_format",  # C19
    "object_detection/data_preparation/voc_to_coco",  # C20
    "image_segmentation/beginner_semantic_seg",  # C25
    "advanced_topics/efficient_finetuning_basic",  # C27
    "advanced_topics/few_shot_learning",  # C28
    "advanced_topics/focal_loss",  # C29
    "advanced_topics/hyperparameter_optimization",  # C30
    "advanced_topics/model_distillation",  # C31
    "advanced_topics/multiple_label_columns",  # C32
    "advanced_topics/presets",  # C33
    "advanced_topics/problem_types_and_metrics",  # C34
    "advanced_topics/tensorrt",  # C35
    "advanced_topics/continuous_training",  # C36
    "document_prediction/document_classification",  # C37
    "document_prediction/pdf_classification",  # C38
    "multimodal-faq",  # C39
    "object_detection/evaluation/detection_eval_fasterrcnn_coco",  # C40
]


def test_the_runnable_list_is_table_c_less_downloads_and_reference() -> None:
    assert len(RUNNABLE) == len(set(RUNNABLE)) == 35
    skipped = {"C21", "C22", "C23", "C24", "C26"}
    assert set(RUNNABLE) == {p for k, p in tutorial_map.AUTOGLUON_TUTORIALS.items() if k not in skipped}


def test_every_runnable_autogluon_tutorial_has_one_of_ours() -> None:
    covered = tutorial_map.coverage(tutorial_map.tutorials())
    missing = [path for path in RUNNABLE if not covered[path]]
    assert not missing, (f"{len(missing)} AutoGluon-MM tutorials have no automm tutorial (a first code cell starting "
                         f"`# AutoGluon: <path>` under docs/tutorials/): {missing}")


def test_every_tutorial_names_a_table_c_tutorial_first() -> None:
    known = set(tutorial_map.AUTOGLUON_TUTORIALS.values())
    for tutorial in tutorial_map.tutorials():
        assert tutorial.autogluon, f"{tutorial.source}: the first code cell must start with `# AutoGluon: <path>`"
        unknown = [p for p in tutorial.autogluon if p not in known]
        assert not unknown, f"{tutorial.source} names {unknown}, not in Table C; known: {sorted(known)}"


def test_marker_paths_are_normalised_and_may_list_several(tmp_path: Path) -> None:
    source = tmp_path / "section" / "t.py"
    source.parent.mkdir()
    source.write_text("# %% [markdown]\n# # A title\n#\n# Intro.\n\n# %%\n"
                      "# AutoGluon: T/object_detection/data_preparation/voc_to_coco.ipynb, "
                      "object_detection/data_preparation/convert_data_to_coco_format\n"
                      "# AutoGluon: docs/tutorials/multimodal/multimodal-faq.md\nx = 1\n")
    tutorial = tutorial_map.read_tutorial(source)
    assert tutorial.title == "A title"
    assert tutorial.autogluon == ("object_detection/data_preparation/voc_to_coco",
                                  "object_detection/data_preparation/convert_data_to_coco_format", "multimodal-faq")


def test_calls_are_predictor_methods_automm_functions_and_keys() -> None:
    code = (
        "import pandas as pd\nimport automm.detect\nfrom automm.core import MultiModalPredictor\n"
        "from automm.match import zero_shot_classify\n"
        "p = MultiModalPredictor(label='y')\n"
        "p.fit(df, hyperparameters={'optim.lr': 1e-3, 'model.text.checkpoint': 'x'})\n"
        "q = MultiModalPredictor.load('path')\nq.predict_proba(df)\n"
        "MultiModalPredictor(label='y').fit(df).predict(df)\n"
        "zero_shot_classify(q, df, ['a'])\nautomm.detect.visualize(q, 'a.png', 'b.png')\n"
        "pd.DataFrame({'a': [1]}).sum()\n"
    )
    calls, keys = tutorial_map.calls_in(code)
    assert set(calls) == {"MultiModalPredictor", "MultiModalPredictor.load", "fit", "predict", "predict_proba",
                          "zero_shot_classify", "automm.detect.visualize"}
    assert keys == ("model.text.checkpoint", "optim.lr")
