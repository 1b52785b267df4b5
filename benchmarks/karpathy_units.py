"""Does a character model have Karpathy et al.'s units? (issue 20)

    python benchmarks/karpathy_units.py measure pretrained/english-char-lstm [MORE ...]
        [--probes docstrings,docstring-dialogue,story]
    python benchmarks/karpathy_units.py train OUT [--wrap 70] [--hidden 128] [--layers 2]
        [--epochs 20] [--dropout 0.0] [--seed 0] [--dialogue 0.0] [--seq-len 0] [--snapshots 0]
        [--readings 1]

measure: for each model folder and each probe text (`lstm_viz.pretrained.cards.PROBE_TEXTS`),
the best unit (cell or hidden state, any layer) for `inside_quotes` and `position_in_line` on
NEW prose it was never trained on, exactly as a card with that ``probe_text`` does
(`lstm_viz.pretrained.cards.unit_table`): the unit is chosen on the first half of up to 20,000
steps and its r (held-out) measured on the other half. The probes:
  docstrings          `lstm_viz.tasks.text.docstring_prose`: the standard library's docstring
                      paragraphs, quoted literals in double quotes, re-filled at 70 columns,
                      read in sequences of 1,000 characters
  docstring-dialogue  the same paragraphs, every one that can be turned into quoted speech by
                      `lstm_viz.tasks.dialogue` (seed 1), in texts of whole paragraphs (<= 1,000
                      characters, each from a fresh state)
  story               `lstm_viz/pretrained/story.txt`: a 5,779-character story written by hand
                      for this check (42 quotations, one to four sentences, some one word), filled
                      at 70 columns; 2,909 steps to choose, 2,870 held out
  stories             story.txt then story2.txt (a second, 6,607 characters, 48 quotations):
                      6,594 steps held out, nearly all of them the second story
Last, the r on the story's second half of the unit chosen on the first probe.

train: the english-char-lstm recipe with the given changes (text-english with `wrap`,
`dialogue`, the share of prose paragraphs turned into quoted speech, and `readings`, the times the
prose is read in an epoch, quoted anew each time), one CPU thread,
deterministic; writes OUT (a checkpoint folder) and measures it as above.

Figures measured on a 2-core CPU (20 epochs unless said; seed 0; held-out r):
  shipped (no wrap, 2 x 128)             inside_quotes 0.46, position_in_line -0.60
  wrap 70, 2 x 128                       0.46, -0.86   (309 s training)
  wrap 70, 2 x 128, 40 epochs            0.47, -0.90   (753 s)
  wrap 70, 2 x 128, seq_len 200          0.41,  0.87
  wrap 70, 2 x 128, seed 1               -0.32, 0.36
  wrap 70, 1 x 256                       -0.34, -0.81
  wrap 70, 2 x 256                       -0.44, 0.43   (1282 s)
  wrap 70, 2 x 128, dropout 0.2          -0.54, 0.86
  wrap 70, 2 x 128, dropout 0.3          -0.50, -0.50
  wrap 70, 2 x 128, dropout 0.2, 40 ep.  -0.68, -0.65  (825 s)
  wrap 70, 2 x 128, dropout 0.2, 60 ep.  -0.56, 0.85   (the build, best validation checkpoint:
                                                        549 s training, 9 min 18 s in all;
                                                        2.0337 bits per character)
  wrap 70 + the packages' docstrings     0.46, -0.53
None reaches |r| 0.8 for inside quotes; position in line does with wrap 70 (0.85 to 0.90) but
not on every seed. The best `inside_quotes` unit is a "code literal" unit: in pydoc's topics
every literal is quoted, so it also fires on unquoted code names in the docstrings (ABCMeta,
aiff()) and stays on at the closing quote.

With generated quoted speech (`--dialogue`; wrap 70, 2 x 128, dropout 0.2, 30 epochs, seed 0;
one thread at nice 19 beside one other run on a loaded 2-core machine). r held out on the
probes docstrings / docstring-dialogue / story, and "st*": the docstring-dialogue unit's r on
the story's second half; all measured with the v3 generator's docstring-dialogue probe. The
generator changed between rounds: v1 quotes one run of at most 4 literal-free sentences per
paragraph (437 paragraphs can be quoted); v2 nests literals as 'x' and quotes up to 6
sentences (724); v3 (the one in lstm_viz/tasks/dialogue.py) up to 4 quotations of 1 to 3
sentences per paragraph (about 1,100 quotations at share 1). bits/char: on the run's own
validation text, which holds quotations too (not comparable with 2.0337 above).
                          bits/char  inside_quotes (doc/dia/story/st*)  position_in_line (same)
  v1 share 0.5            2.1495     0.30 /  0.14 / 0.21 /  0.20      0.90 /  0.88 /  0.91 /  0.91
                          (536 s training, 9 min 8 s wall)
  v1 share 1.0            2.1356     0.43 /  0.15 / 0.02 / -0.14      0.25 /  0.29 / -0.17 /  0.35
  v2 share 0.7            2.1210    -0.50 / -0.27 / 0.01 /  0.08     -0.31 / -0.28 /  0.28 / -0.18
                          (766 s, 13 min 8 s wall)
  v2 share 1.0            2.1425    -0.36 /  0.28 / 0.05 / -0.09      0.82 /  0.83 /  0.79 /  0.79
  v3 share 1, seq_len 200 2.2976     0.56 / -0.21 / 0.40 / -0.12     -0.92 / -0.93 / -0.89 / -0.89
                          (503 s, 8 min 41 s wall)
  v3 share 1, seq_len 200,
    dropout 0.0           2.2684     0.38 / -0.26 / 0.08 / -0.04     -0.42 / -0.41 / -0.32 / -0.32
  v3 share 1              2.0929    -0.40 /  0.48 / 0.02 /  0.69     -0.86 / -0.87 / -0.83 / -0.83
                          (538 s, 9 min 17 s wall)
  v3 share 1, 45 epochs   2.0294    -0.38 /  0.59 / 0.76 /  0.76      0.56 /  0.53 /  0.51 /  0.51
                          (498 s, 8 min 30 s wall; alone, on a quiet machine)
  v3 share 1, 60 epochs   2.0111    -0.39 /  0.67 / 0.88 /  0.88      0.50 /  0.49 /  0.52 /  0.52
                          (1,062 s, 18 min wall; mostly alone)
  v3 share 0.5, 60 epochs 2.0690     0.37 /  0.23 / -0.02 /  n/a     -0.75 / -0.73 / -0.73 /  n/a
                          (833 s, 14 min 5 s wall, beside the next)
  v3 share 0.7, 60 epochs 2.0374    -0.38 /  0.23 / 0.01 /  n/a       0.47 /  0.42 / -0.30 /  n/a
                          (717 s, 12 min 10 s wall; these two: st* not measured)
  shipped (no wrap)       2.0579     0.46 /  0.24 / 0.06 /  0.05     -0.60 / -0.57 / -0.57 / -0.57
Session 7 (v3 share 1, dropout 0.2; two runs side by side at nice 19, `--snapshots` every 5 or
10 epochs measured on docstring-dialogue / story; "st*" here: the docstrings unit):
  seed 1, 60 epochs       2.0093    -0.35 /  0.49 / -0.02 / 0.03     -0.44 / -0.35 / -0.46 / -0.46
                          (908 s; the snapshots never pass 0.50 / 0.47 from epoch 5 to 60)
  seed 2, 60 epochs       2.0020     0.29 /  0.45 / 0.69 /  0.02      0.81 /  0.78 /  0.78 /  0.78
                          (910 s; story 0.72-0.77 and 0.73-0.77 at every snapshot from epoch
                          20 to 55: layer 1 cells 115 and 127)
  seed 0, seq_len 200     2.0985       n/a / -0.27 / 0.03 /  n/a       n/a / -0.93 / -0.90 /  n/a
                          (60 epochs, 723 s; position 0.78 by epoch 10, >= 0.89 from 20 on;
                          quotes never above 0.27)
  seed 2, seq_len 200     2.1227       n/a / -0.31 / -0.01 / n/a       n/a /  0.43 /  0.40 /  n/a
  seed 0, seq_len 200,    2.0377     0.64 /  0.74 / -0.02 / 0.65*   -0.89 / -0.88 / -0.78 / -0.76*
    120 epochs            (1,427 s; * layer 1 cell 5, the docstring-dialogue unit, at epoch 110;
                          it grows from 0.44 at epoch 50 to 0.74 at 70 and stays there)
  seed 3, 60 epochs       2.0186    -0.53 / -0.56 / -0.02 / 0.15     0.39 /  0.38 /  0.25 /  0.25
                          (599 s; layer 1 cell 6: -0.66 to -0.68 on the story's second half)
  seed 4, 60 epochs       2.0592     0.46 /  0.44 / -0.00 / 0.65*    0.92 /  0.91 /  0.88 /  0.88
                          (748 s; * layer 1 cell 106, the docstring-dialogue unit)
A 2 x 192 run (seed 0) was stopped at epoch 30: quotes 0.41 / position 0.35 on docstring-dialogue.
The story is a noisy test of inside_quotes: 42 quotations, about 21 per half. On its first half
several units reach |r| 0.48-0.52 and then 0.00-0.04 on the second (seq_len 200, 120 epochs:
layer 1 cells 63, 23, 35, 64, 65), so the unit it chooses can be one that is not a quote unit
while a real one (cell 5: 0.65 on the second half) ranks lower. The quote units found are real
(low outside a quotation, higher inside, a spike after the closing quote, which costs r) but
none reaches 0.8 on a held-out half of any probe; position-in-line units do (0.87-0.94) in
3 of 7 runs.
A second story (`lstm_viz/pretrained/story2.txt`, 6,607 characters, 48 quotations, written by
hand after these runs) makes the probe `stories`: a unit chosen on the first half (story 1 and
the opening of story 2) and measured on the rest (6,594 steps). `measure MODEL --probes stories`:
  shipped 0.25 / -0.54; seed 2 0.69 / 0.75 (its epoch-35 snapshot 0.73 / 0.71); seed 4
  0.33 / 0.88; seed 3 -0.66 / -0.29; seed 1 0.57 / -0.48; seq_len 200 -0.24 / -0.80 (120
  epochs) and 0.20 / -0.87 (60 epochs): inside quotes / position in line.
Then two more seeds (v3 share 1, 60 epochs; docstrings / docstring-dialogue / story / stories):
  seed 5 (2.0162, 569 s)  inside quotes 0.29 / 0.72 / -0.04 / 0.73; position -0.32 / -0.26 /
                          -0.26 / -0.43
  seed 6 (2.0116, 719 s)  inside quotes -0.62 / 0.68 / -0.02 / 0.74; position -0.40 / 0.34 /
                          -0.31 / -0.38
Over 9 runs, the quote units stop at |r| 0.66-0.77 on held-out stories.
Session 8 tried the opposite of the literals' confusion: the manual's own double quotes (about
2,650 code literals and grammar tokens, a few words each) written as single quotes, so that
double quotes mark only the ~1,100 generated speech quotations (an option `speech_only`, since
reverted). Seeds 0 and 2 (v3 share 1, dropout 0.2), snapshots at epochs 10-40: the best inside
quotes unit never passed |r| 0.15 on `stories` and 0.28 on docstring-dialogue (position in line
-0.55 to -0.61, seed 0). So the short literal quotations are what grows a quote unit here, not
what spoils it; the runs were stopped at epoch 45.
Then `--readings 2` (text-english `readings`): the training prose read twice an epoch, quoted
anew each time (dialogue seeds 0 and 1), so a sentence quoted in one reading is plain in the
other; validation is the last 10% of the topics, read in neither. v3 share 1, dropout 0.2, 30
epochs (60 readings), two runs side by side; held out on docstrings / docstring-dialogue /
story / stories:
  seed 0 (2.0794, 500 s)  inside quotes -0.75 / -0.60 / -0.74 / -0.76 (layer 1 cell 67, -0.66
                          already at epochs 10 and 15); position 0.53 / 0.47 / 0.50 / 0.49
  seed 2 (the build itself: `python -m lstm_viz.pretrained build english-char-lstm` with that
                          recipe, 506 s training) stories -0.21 / 0.29
  seed 4                  stories -0.19 / 0.48 at epoch 10 (stopped)
  seed 6 (2.1031, 942 s beside the others) stories 0.77 / -0.68 at epoch 10, 0.75 / -0.74 at
                          20, 0.76 / -0.72 at 30 (layer 1 cell 54, layer 0 cell 9): both units
                          in one model, neither at 0.8
Session 9, the same recipe (readings 2, v3 share 1, dropout 0.2, 30 epochs; two runs side by
side at nice 19, 656 and 647 s), stories held out: seed 8 (2.1127) inside quotes 0.62 at epoch
10, 0.76 at 20, 0.74 at 30 (layer 1 cell 43); position -0.58; seed 10 (2.1315) -0.17 / -0.37.
The same with seq_len 200 (what grew position units before), seeds 0 and 8: at epoch 10
-0.45 / 0.33 and -0.31 / 0.49, at epoch 20 0.23 / -0.43 and 0.34 / -0.33; stopped there.
The best quote unit's anatomy (seed 0, layer 1 cell 67, on stories): -1.11 inside a quotation,
-0.22 outside, but it does not flip at the closing quote: -1.0 to -0.8 for the next 10
characters and -0.41 for the 30 after (the speech tag, "said Mara."), which holds 40% of its
squared error; inside long quotations it drifts back (-1.24 from 3 to 40 characters in, -0.96
after 100). It tracks "in a piece of dialogue" more than the quote marks themselves.
Session 10, on a GPU (one NVIDIA H200, `train --device cuda --measure-every 5`, 16 runs at once
beside the GPU build, 475-480 s each; wrap 70, v3 share 1, readings 2; stories held out, quotes /
position in line, at epochs 5 / 10 / 15 / 20 / 25 (30)):
  2 x 128, dropout 0.2, seeds 0-5: best quotes per seed 0.37-0.78 (seeds 2 and 5: 0.77 and
                          0.78, with position 0.31 and 0.24), best position 0.31-0.73; no
                          snapshot has both >= 0.5 (validation 2.02-2.07 bits/char at epoch 30)
  2 x 128, readings 4, seeds 0, 1 (20 epochs): 0.21 / 0.39 and 0.79 / 0.31
  3 x 128, seeds 0, 1:    at most 0.32 / 0.42
  2 x 256, dropout 0.3, seed 0: -0.28/-0.59, -0.73/-0.65, -0.65/-0.76, -0.80/-0.78, -0.78/-0.79
                          (layer 1 cell 10 and hidden 152; validation best at epoch 10, 1.98)
  2 x 256, dropout 0.3, seed 1: quotes -0.84, -0.94, -0.93, -0.91, -0.90 (layer 1 cell 205);
                          position at most 0.33
  2 x 256, dropout 0.3, seed 2: quotes -0.70 from epoch 10; position at most 0.41
  2 x 256, readings 4, seed 0: 0.77 / -0.21 at 5, 0.70 / -0.75 at 10
  2 x 512, dropout 0.4, seeds 0, 1: at most 0.51 / 0.76 and 0.71 / 0.71 (overfits: validation
                          1.97 at epoch 5, 2.35 at 25)
So 256 units grow a quote unit above 0.8 (seeds 0 and 1), which 128 never did, but the position
unit comes and goes with the seed there too.
Then on the 2-core CPU (two runs side by side at nice 19, about 16 min for 15 epochs, 23 for
20; the same data; stories held out; "build": `build()` itself with that recipe, the best
validation checkpoint):
  2 x 256, dropout 0.3, seed 1, 15 epochs (build)       0.27 / 0.43   (2.0330 bits/char)
  2 x 256, dropout 0.3, seq_len 200, seed 1, 15 epochs  epoch 5 -0.32 / -0.21, 10 -0.56 / 0.21,
                                                        15 -0.81 / 0.22 (2.0946)
  2 x 256, dropout 0.3, seed 0, 20 epochs               0.32 / 0.42, -0.75 / 0.33, -0.76 / 0.38,
                                                        -0.77 / 0.37 (2.0203)
  2 x 256, dropout 0.3, seq_len 200, seed 2, 20 epochs  -0.20 / -0.91 at epoch 5, -0.34 / -0.67
                                                        at 10, 0.46 / -0.62 at 20 (2.0832)
  2 x 256, dropout 0.3, seed 3, 20 epochs (build)       -0.64 / 0.40  (1.9970; 1,210 s in all)
  2 x 256, dropout 0.2, seed 3, 20 epochs (build)       0.68 / 0.55   (2.0436; 1,199 s in all)
  2 x 256, dropout 0.3, seed 4, 20 epochs (build)       -0.75 / -0.19 (2.0166; 1,179 s in all)
  2 x 256, dropout 0.3, seed 5, 20 epochs (build)       -0.57 / 0.36  (2.0269; 1,177 s in all)
Over 24 more runs this session (16 on the GPU, 8 on the CPU), still none has both at 0.8: the
closest is the GPU's 2 x 256 seed 0 at epoch 20-25 (-0.80 / -0.78, -0.78 / -0.79), a snapshot
that no build reproduces (the cosine schedule spans the whole run; the build keeps the best
validation checkpoint, and the CPU's sums and dropout masks differ from the GPU's).
Session 11, on the 2-core CPU (`build()` itself, the best validation checkpoint; wrap 70,
v3 share 1; two builds side by side at nice 19 beside other work; stories held out):
  2 x 256, dropout 0.3, readings 2, seed 6, 20 epochs   quotes -0.39, position -0.55 (2.0052;
                                                        1,617 s in all)
  2 x 128, dropout 0.2, readings 4, seed 3, 30 epochs   quotes -0.79 (layer 1 cell 32; -0.7890
                                                        by `check`), position 0.84 (layer 0 cell
                                                        43); 2.0626 bits/char, 1,645 s in all:
                                                        both units in one build, one 0.011 short
  the same, 35 epochs                                   quotes -0.12, position 0.82 (layer 1
                                                        hidden 50); 2.0379, 2,518 s in all (the
                                                        quote unit of the 30-epoch run, cell 32,
                                                        is gone by the longer schedule's end)
  the 30-epoch recipe, seed 4                           quotes 0.48, position -0.44 (2.1331;
                                                        1,234 s in all, two builds side by side)
  the 30-epoch recipe, seed 5                           quotes -0.46, position 0.33 (2.0911;
                                                        1,239 s)
Session 12, the 30-epoch readings-4 recipe again (2 x 128, dropout 0.2; `build()` itself, two
builds side by side at nice 19, 1,153-1,439 s of training each; stories held out):
  seed 7                  quotes 0.15, position -0.81 (layer 0 cell 91); 2.0935 bits/char
  seed 8                  quotes -0.77 (layer 1 cell 39), position 0.25; 2.0917
  seed 9                  quotes 0.77 (layer 1 cell 115), position 0.40; 2.1047
  seed 10                 quotes -0.23, position 0.27; 2.1073
  seed 11                 quotes -0.52, position 0.73 (layer 0 cell 88); 2.1132 (1,429 s)
  seed 12                 quotes 0.44, position -0.33; 2.0960 (1,439 s)
Over the 10 seeds of this recipe (3-12), a quote unit at 0.77-0.79 in 3 and a position unit at
0.81-0.84 in 2, both in one build only in seed 3 (-0.79 / 0.84). The same with seq_len 200
(2,537-2,544 s each, beside the test suite): seed 3 -0.17 / -0.33; seed 13 -0.71 / -0.59.
Session 13, 2 x 256 with more dropout and more readings, so that the best validation checkpoint
comes late enough for a quote unit (the GPU's 2 x 256 runs grew one by epoch 10-20 but
validated best at epoch 10): dropout 0.4, readings 4, 12 epochs (`build()` itself, two builds
side by side at nice 19; stories held out):
  seed 1                  quotes -0.80 (layer 1 cell 179), position -0.23 (1,726 s)
  seed 2                  quotes -0.42, position -0.61 (1,729 s)
  the same with seq_len 200, seed 3   quotes 0.23, position -0.34 (1,550 s)
  the same with seq_len 200, seed 4   quotes -0.59, position -0.66 (1,543 s)
  seed 5                  quotes 0.72, position -0.39 (2,075 s, beside the test suite)
  seed 6                  quotes 0.70, position 0.55 (2,070 s, beside the test suite)
Session 14: more training of a built model (one Trainer from its best checkpoint, a fresh AdamW,
the recipe's seed; per-epoch snapshots; stories held out). Session 13's seed 1 (2 x 256): the
quote unit (layer 1 cell 179) -0.80 -> -0.83 after one epoch at a constant 1e-3 (seq_len 100
or 200) or 5e-4, and stays -0.81 to -0.83 for 3 epochs (also at 3e-3, seq_len 200), but no
position unit grows (at most 0.28); seed 6 (2 x 256) 0.70 / 0.55 -> 0.72 / 0.54 in 2 epochs
at 5e-4. The 30-epoch readings-4 recipe, seed 3 (rebuilt: the same -0.79 / 0.84, layer 1 cell
32 and layer 0 cell 43, 1,295 s beside other runs), 4 epochs more:
  constant 1e-3           -0.79 / 0.83, -0.79 / 0.86, -0.80 / 0.85, -0.80 / 0.87; validation
                          2.1025 -> 2.1100 bits/char (the first schedule's best: 2.0626)
  constant 3e-4           -0.79 / 0.84, -0.78 / 0.85, -0.79 / 0.84, -0.79 / 0.85 (2.0616-2.0657)
and a warm restart (SGDR, Loshchilov & Hutter 2017: a second cosine schedule, 6 epochs):
  from 1e-3               -0.79 / 0.83, -0.79 / 0.85, -0.80 / 0.84, -0.80 / 0.85, -0.79 / 0.85,
                          -0.78 / 0.85; validation 2.0998 -> 2.0567, best at the last epoch
  from 2e-3               -0.79 / 0.84, -0.80 / 0.86, -0.80 / 0.85, -0.81 / 0.84, -0.80 / 0.83,
                          -0.80 / 0.85; validation 2.1325 -> 2.0628, best at the last epoch:
                          -0.8024 / 0.8493 (layer 1 cell 32, layer 0 cell 43); on the other
                          probes docstring-dialogue -0.70 / 0.79, docstrings (quotes: hidden 25)
                          0.36 / 0.81, story -0.85 / 0.84
The last is the shipped recipe (`tail_epochs`, `tail_learning_rate`). Its margin on `stories`
is small (0.0024 for quotes), and it was chosen among the variants above by this very measure,
so the unit is a real quote unit at about 0.8, not a clean switch; docstring-dialogue's
generated quotations (a docstring's own 'x' literals inside them) give it 0.70.
Before session 14, no variant reached 0.8 for both features on one probe text. A quote unit
grows with training on v3 dialogue: layer 1, cell 12 is the best inside_quotes unit at 30
epochs (0.48 on docstring-dialogue, 0.69 on the story's second half) and at 60 epochs (0.67
on docstring-dialogue; on the story, chosen on its first half: 0.88), but by 45 epochs the
position-in-line unit is lost (0.50 to 0.56), as it comes and goes with seeds and epochs
(above).
Behaviourally, after a , . or ? inside a quotation of the docstring-dialogue probe the next
character is the closing quote 46% of the time, never outside one; the models give it P(")
inside / outside: shipped 0.003 / 0.001; v2 share 1.0 0.105 / 0.065; v3 seq_len 200 0.132 /
0.101; v3 30 epochs 0.187 / 0.050; v3 60 epochs 0.281 / 0.020. About 1,100 quotations in
450,000 characters (one closing quote per 400 characters) is little signal for 2 x 128 units;
Karpathy et al.'s War and Peace holds 3.2 million characters with dialogue on most pages.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

FEATURES = ["inside_quotes", "position_in_line"]


PROBES = ["docstrings", "docstring-dialogue", "story"]


def measure(path: str, probes: list[str] = PROBES) -> str:
    """Each probe's best unit per feature (chosen on its first half, r on its second half), and
    the r on the story's second half of the unit chosen on the first probe."""
    from lstm_viz.models.checkpoints import load_checkpoint
    from lstm_viz.pretrained.cards import best_units, unit_table

    checkpoint = load_checkpoint(path)
    lines, tables, chosen = [], {}, {}
    for probe in probes:
        tables[probe] = unit_table(checkpoint, FEATURES, probe_text=probe)
        for claim in best_units(tables[probe], FEATURES):
            chosen.setdefault(claim.feature, claim)
            lines.append(f"{path} [{probe}]: {claim.sentence()}")
    if "story" in tables and probes[0] != "story":
        story = tables["story"]
        for claim in chosen.values():
            row = story[
                (story["feature"] == claim.feature)
                & (story["quantity"] == claim.quantity)
                & (story["layer"] == claim.layer)
                & (story["unit"] == claim.unit)
            ].iloc[0]
            lines.append(
                f"{path} [{probes[0]} unit on the story's second half]: layer {claim.layer} unit "
                f"{claim.unit} {claim.quantity} ~ {claim.feature}: r = {row['r_heldout']:.2f}"
            )
    return "\n".join(lines)


def train(out: Path, args: argparse.Namespace) -> None:
    from lstm_viz.models.checkpoints import save_checkpoint
    from lstm_viz.pretrained.recipes import RECIPES
    from lstm_viz.training import build_run

    recipe = RECIPES["english-char-lstm"]
    params = {**recipe.task_params, "wrap": args.wrap}
    if args.dialogue:
        params["dialogue"] = args.dialogue
    if args.seq_len:
        params["seq_len"] = args.seq_len
    if args.readings > 1:
        params["readings"] = args.readings
    run = build_run(
        recipe.task,
        params,
        {
            "cell": "lstm",
            "hidden_size": args.hidden,
            "num_layers": args.layers,
            "embedding_size": recipe.embedding_size,
            "dropout": args.dropout,
        },
        {
            "epochs": args.epochs,
            "batch_size": recipe.batch_size,
            "learning_rate": recipe.learning_rate,
            "patience": 0,
            "device": args.device,
            "seed": args.seed,
        },
        save=False,
        seed=args.seed,
    )
    from lstm_viz.training.callbacks import Callbacks

    def snapshot(evaluation) -> None:  # every N epochs' weights, to see the units come and go
        epoch = round(evaluation.epoch)
        if any(n and epoch % n == 0 for n in (args.snapshots, args.measure_every)):
            folder = out.parent / f"{out.name}-epoch{epoch:03d}"
            save_checkpoint(folder, trainer.model, run.task.vocab, trainer.checkpoint_info())
            if args.measure_every and epoch % args.measure_every == 0:
                bits = evaluation.val_metric
                print(f"{out.name} epoch {epoch}: bits/char {bits:.4f}", flush=True)
                print(measure(str(folder), ["stories"]), flush=True)

    trainer = run.trainer(Callbacks(on_evaluation=snapshot))
    start = time.perf_counter()
    result = trainer.fit()
    save_checkpoint(out, trainer.model, run.task.vocab, trainer.checkpoint_info())
    print(
        f"{out}: trained {result.seconds:.0f} s ({time.perf_counter() - start:.0f} s in all); "
        f"validation bits per character {trainer.evaluate('validation')[1]:.4f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("models", nargs="+")
    m.add_argument("--probes", default=",".join(PROBES), help="PROBE_TEXTS names, comma-separated")
    t = sub.add_parser("train")
    t.add_argument("out", type=Path)
    t.add_argument("--wrap", type=int, default=70)
    t.add_argument("--hidden", type=int, default=128)
    t.add_argument("--layers", type=int, default=2)
    t.add_argument("--epochs", type=int, default=20)
    t.add_argument("--dropout", type=float, default=0.0)
    t.add_argument("--dialogue", type=float, default=0.0)
    t.add_argument("--seq-len", type=int, default=0, help="0: the recipe's (100)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--readings", type=int, default=1, help="the prose N times, quoted anew")
    t.add_argument("--snapshots", type=int, default=0, help="save OUT-epochNNN every N epochs")
    t.add_argument(
        "--measure-every", type=int, default=0, help="save and measure (stories) every N epochs"
    )
    t.add_argument("--device", default="cpu", help="cpu (deterministic) or cuda")
    args = parser.parse_args()
    torch.set_num_threads(1)  # deterministic, as the build
    if args.command == "train":
        train(args.out, args)
        if not args.measure_every:  # else the snapshots were measured as they were saved
            print(measure(str(args.out)), flush=True)
    else:
        for model in args.models:
            print(measure(model, args.probes.split(",")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
