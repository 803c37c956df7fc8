"""The presentation-attack set, generated: genuine selfies and the three practical attacks on them.

A genuine selfie is a face photo (an LFW image, or the astronaut) filling a phone's portrait frame
in front of a blurred room. The attacks show the same face to the camera another way: on an ID
card photographed on a desk (`document`), printed on paper held up in the room (`print`), or on a
phone or laptop screen photographed with its bezel (`screen`). Every image is fixed by its seed.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from verification.cards import CARD_SIZE, card
from verification.scenes import corners_for, desk, light_map, mural, place

FRAME = (1280, 960)  # height, width: a phone's portrait photo at the size the selfie checks work on
Kind = Literal["genuine", "document", "print", "screen"]
KINDS: tuple[Kind, ...] = ("genuine", "document", "print", "screen")


def head(face: np.ndarray) -> np.ndarray:
    """The head and shoulders of a 250 x 250 LFW image (the person is centred in it), or of any portrait."""
    height, width = face.shape[:2]
    return face[int(0.12 * height):int(0.92 * height), int(0.18 * width):int(0.82 * width)]


def room(rng: np.random.Generator) -> np.ndarray:
    """A room behind the subject, out of focus."""
    wall = mural(rng, (FRAME[0] // 4, FRAME[1] // 4))
    blurred = cv2.GaussianBlur(cv2.resize(wall, (FRAME[1], FRAME[0]), interpolation=cv2.INTER_CUBIC), (0, 0), 6)
    muted: np.ndarray = (0.6 * blurred + 0.4 * 128).astype(np.uint8)
    return muted


def _sensor(rng: np.random.Generator, image: np.ndarray, blur: float) -> np.ndarray:
    """The phone camera's own softness and grain."""
    soft = cv2.GaussianBlur(image, (0, 0), blur) if blur > 0 else image
    noisy = soft.astype(np.float32) + rng.normal(0, 2.5, soft.shape).astype(np.float32)
    out: np.ndarray = np.clip(noisy, 0, 255).astype(np.uint8)
    return out


def genuine(rng: np.random.Generator, face: np.ndarray) -> np.ndarray:
    """The face itself in front of the camera: the head fills most of the frame's width."""
    portrait = head(face)
    scene = room(rng)
    width = int(rng.uniform(0.72, 0.95) * FRAME[1])
    height = int(width * portrait.shape[0] / portrait.shape[1])
    sized = cv2.resize(portrait, (width, height), interpolation=cv2.INTER_CUBIC)
    # soft edges: the head is not a pasted rectangle
    mask = np.zeros((height, width), np.float32)
    cv2.ellipse(mask, (width // 2, height // 2), (int(width * 0.47), int(height * 0.5)), 0, 0, 360, 1.0, -1)
    soft = cv2.GaussianBlur(mask, (0, 0), width * 0.04)[:, :, None]
    top = int((FRAME[0] - height) * rng.uniform(0.35, 0.6))
    left = (FRAME[1] - width) // 2 + int(rng.uniform(-30, 30))
    top, left = max(0, top), max(0, min(FRAME[1] - width, left))
    region = scene[top:top + height, left:left + width].astype(np.float32)
    scene[top:top + height, left:left + width] = (sized * soft + region * (1 - soft)).astype(np.uint8)
    return _sensor(rng, scene, rng.uniform(0.3, 0.9))


def id_card(face: np.ndarray, style: int) -> np.ndarray:
    """A synthetic card front (verification.cards) carrying this face as its portrait."""
    front = card("front", style)
    x = 50 if style == 0 else 850
    front[160:520, x:x + 300] = cv2.resize(head(face), (300, 360), interpolation=cv2.INTER_AREA)
    return front


def document(rng: np.random.Generator, face: np.ndarray) -> np.ndarray:
    """The ID card photographed on a desk, as the selfie: the face is the card's portrait."""
    front = id_card(face, int(rng.integers(0, 2)))
    scene = desk(rng, FRAME, float(rng.uniform(40, 140)), str(rng.choice(["plain", "wood"])))
    width = rng.uniform(0.7, 0.92) * FRAME[1]
    size = (width, width * CARD_SIZE[1] / CARD_SIZE[0])
    corners = corners_for(rng, FRAME, size, centre=(rng.uniform(0.45, 0.55), rng.uniform(0.4, 0.6)), tilt=0.12,
                          turn=8)
    light = light_map(rng, FRAME, unevenness=float(rng.uniform(0, 0.3)), shadow=False)
    placed = place(front, scene, corners, gain=float(rng.uniform(0.9, 1.1)), light=light)
    return _sensor(rng, placed.image, rng.uniform(0.4, 1.0))


def halftone(image: np.ndarray, period: float, angle: float) -> np.ndarray:
    """Print dots: each ink (C, M, Y; K from their common part) screened with round dots on a rotated grid."""
    height, width = image.shape[:2]
    ink = 1.0 - image[:, :, ::-1].astype(np.float32) / 255.0  # C, M, Y from R, G, B
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    printed = np.ones((height, width, 3), np.float32)
    for channel, offset in zip(range(3), (15.0, 75.0, 0.0), strict=True):
        theta = np.deg2rad(angle + offset)
        u = (x * np.cos(theta) + y * np.sin(theta)) / period
        v = (-x * np.sin(theta) + y * np.cos(theta)) / period
        cell = np.sqrt((u - np.round(u)) ** 2 + (v - np.round(v)) ** 2)  # 0 at a dot's centre, ~0.7 at a corner
        dot = cell < 0.75 * np.sqrt(ink[:, :, channel])
        printed[:, :, channel] -= 0.9 * dot
    rgb = np.clip(printed, 0, 1)
    out: np.ndarray = (rgb[:, :, ::-1] * 255).astype(np.uint8)
    return out


def print_attack(rng: np.random.Generator, face: np.ndarray) -> np.ndarray:
    """The face printed on paper (halftone dots, a white border, duller colours) held up in the room."""
    portrait = head(face)
    width = int(rng.uniform(0.62, 0.8) * FRAME[1])
    height = int(width * portrait.shape[0] / portrait.shape[1])
    sized = cv2.resize(portrait, (width, height), interpolation=cv2.INTER_CUBIC)
    dull = (0.8 * sized.astype(np.float32) + 0.2 * 200).astype(np.uint8)
    dots = halftone(dull, float(rng.uniform(3.2, 5.0)), float(rng.uniform(0, 45)))
    border = int(width * rng.uniform(0.06, 0.12))
    paper = np.full((height + 2 * border, width + 2 * border, 3), 238, np.uint8)
    paper[border:border + height, border:border + width] = cv2.GaussianBlur(dots, (0, 0), 0.7)
    size = (paper.shape[1] * rng.uniform(0.95, 1.08), paper.shape[0] * rng.uniform(0.95, 1.08))
    corners = corners_for(rng, FRAME, size, centre=(rng.uniform(0.45, 0.55), rng.uniform(0.42, 0.58)), tilt=0.15,
                          turn=10)
    light = light_map(rng, FRAME, unevenness=float(rng.uniform(0.1, 0.4)), shadow=bool(rng.uniform() < 0.3))
    placed = place(paper, room(rng), corners, gain=float(rng.uniform(0.85, 1.1)), light=light)
    return _sensor(rng, placed.image, rng.uniform(0.3, 0.7))


def panel(face: np.ndarray, pixel: int, depth: float) -> np.ndarray:
    """The face as a display shows it: every screen pixel `pixel` camera pixels wide, lit as red, green and
    blue stripes with a dark gap between pixels; `depth` is how much of the light that grid modulates (what
    the camera's focus and distance leave of it)."""
    portrait = head(face)
    columns = int(FRAME[1] * 0.8 / pixel)
    rows = int(columns * portrait.shape[0] / portrait.shape[1])
    small = cv2.resize(portrait, (columns, rows), interpolation=cv2.INTER_AREA).astype(np.float32)
    big = np.repeat(np.repeat(small, pixel, axis=0), pixel, axis=1)
    stripes = np.zeros((pixel, pixel, 3), np.float32)
    third = max(1, pixel // 3)
    for index, channel in enumerate((2, 1, 0)):  # BGR: red stripe first
        stripes[: pixel - 1, index * third:(index + 1) * third, channel] = 1.0
    stripes /= stripes.mean(axis=(0, 1), keepdims=True)
    grid = np.tile(stripes, (rows, columns, 1))
    lit: np.ndarray = np.clip(big * (1 - depth + depth * grid), 0, 255).astype(np.uint8)
    return lit


def screen_attack(rng: np.random.Generator, face: np.ndarray) -> np.ndarray:
    """The face on a phone or laptop screen photographed: its bezel, its pixel grid (moiré once resampled)
    and a reflection across the glass."""
    display = panel(face, int(rng.integers(3, 5)), float(rng.uniform(0.25, 0.6)))
    bezel = int(display.shape[1] * rng.uniform(0.04, 0.08))
    device = np.full((display.shape[0] + 2 * bezel, display.shape[1] + 2 * bezel, 3), 18, np.uint8)
    device[bezel:bezel + display.shape[0], bezel:bezel + display.shape[1]] = display
    scale = rng.uniform(0.9, 1.15)
    size = (device.shape[1] * scale, device.shape[0] * scale)
    corners = corners_for(rng, FRAME, size, centre=(rng.uniform(0.45, 0.55), rng.uniform(0.42, 0.58)), tilt=0.1,
                          turn=8)
    light = light_map(rng, FRAME, unevenness=float(rng.uniform(0, 0.2)), shadow=False)
    placed = place(device, room(rng), corners, gain=1.0, light=light)
    glare = np.zeros(FRAME, np.float32)
    centre = (int(rng.uniform(0.2, 0.8) * FRAME[1]), int(rng.uniform(0.2, 0.8) * FRAME[0]))
    cv2.ellipse(glare, centre, (int(FRAME[1] * 0.25), int(FRAME[0] * 0.08)), float(rng.uniform(0, 180)), 0, 360,
                1.0, -1)
    shine = cv2.GaussianBlur(glare, (0, 0), 60) * float(rng.uniform(0.1, 0.3)) * (placed.mask / 255.0)
    shone = placed.image.astype(np.float32) * (1 - shine[:, :, None]) + 255 * shine[:, :, None]
    return _sensor(rng, np.clip(shone, 0, 255).astype(np.uint8), rng.uniform(0.7, 1.3))


def capture(kind: Kind, face: np.ndarray, seed: int) -> np.ndarray:
    """One image of the set: `kind` of `face`, fixed by `seed`."""
    rng = np.random.default_rng(seed)
    if kind == "genuine":
        return genuine(rng, face)
    if kind == "document":
        return document(rng, face)
    if kind == "print":
        return print_attack(rng, face)
    return screen_attack(rng, face)


__all__ = ["FRAME", "KINDS", "Kind", "capture", "document", "genuine", "halftone", "head", "id_card", "panel",
           "print_attack", "screen_attack"]
