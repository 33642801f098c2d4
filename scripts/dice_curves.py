"""Draws validation mean foreground Dice against minutes for runs of `scripts/time_budget_runs.sh`.

    python3 scripts/dice_curves.py OUT.png LABEL=RUN_DIR [LABEL=RUN_DIR ...]

Reads each run's metrics.jsonl (elapsedSeconds and validationForegroundDice of the validated steps). Needs Pillow
(Debian's python3-pil).
"""
import json
import sys

from PIL import Image, ImageDraw

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 720, 400, 60, 40, 20, 180
COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189)]


def points(run):
    result = [(0.0, 0.0)]
    for line in open(f"{run}/metrics.jsonl"):
        record = json.loads(line)
        if record.get("validationForegroundDice") is not None:
            result.append((record.get("elapsedSeconds", 0) / 60, record["validationForegroundDice"]))
    return result


def main():
    out, runs = sys.argv[1], [argument.split("=", 1) for argument in sys.argv[2:]]
    curves = [(label, points(run)) for label, run in runs]
    minutes = max(20.0, max(x for _, curve in curves for x, _ in curve))
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def at(x, y):
        return LEFT + x / minutes * plot_width, TOP + (1 - y) * plot_height

    draw.rectangle([LEFT, TOP, LEFT + plot_width, TOP + plot_height], outline="black")
    for tick in range(0, 11, 2):
        y = tick / 10
        draw.line([at(0, y), at(minutes, y)], fill=(225, 225, 225))
        draw.text((LEFT - 30, at(0, y)[1] - 6), f"{y:.1f}", fill="black")
    for tick in range(0, int(minutes) + 1, 5):
        draw.text((at(tick, 0)[0] - 6, TOP + plot_height + 6), str(tick), fill="black")
    draw.text((LEFT + plot_width // 2 - 30, HEIGHT - 16), "minutes", fill="black")
    draw.text((LEFT, 4), "validation mean foreground Dice", fill="black")
    for index, (label, curve) in enumerate(curves):
        colour = COLOURS[index % len(COLOURS)]
        draw.line([at(x, y) for x, y in curve], fill=colour, width=2)
        for x, y in curve[1:]:
            cx, cy = at(x, y)
            draw.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], fill=colour)
        draw.line([(WIDTH - RIGHT + 15, TOP + 20 + 20 * index), (WIDTH - RIGHT + 35, TOP + 20 + 20 * index)], fill=colour, width=3)
        draw.text((WIDTH - RIGHT + 40, TOP + 14 + 20 * index), label, fill="black")
    image.save(out)


main()
