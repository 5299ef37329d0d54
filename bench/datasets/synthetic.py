"""The embedded dataset generator: `synthetic-portrait` and `synthetic-portrait-wild`.

A real photograph (skimage's astronaut) is split into three layers — an inpainted background
plate, a torso layer and a head layer — and re-animated:

* the head texture lies on an ellipsoid seen by a pinhole camera; each frame poses the
  ellipsoid (smooth yaw/pitch/roll and translation) and renders it by inverse mapping: every
  output pixel's ray is intersected analytically with the posed ellipsoid, the hit point is
  taken back to the canonical head frame (Rᵀ) and projected with the canonical camera, giving
  the texture coordinate for `cv2.remap`;
* the mouth opens with the speech envelope (dark interior, teeth, lower lip and chin dropped
  by a smooth local warp), eyelids close in random blinks — both painted on the canonical
  texture before the 3D warp;
* the torso follows a fraction of the head's translation and roll.

Ground truth comes with it: head pose [T,4,4] (head→camera, metres), 68 iBUG landmarks
projected from the ellipsoid, mouth opening, blink, head/torso masks. The wild variant adds a
hand sweeping over the torso (clean frames kept as the reference) and segment-wise noise.

Everything derives from the card's `[generator]` (and `[wild]`) table and its seed:
the same card and resolution give byte-identical output.

Coordinates: pixel (row i, column j) has centre (x=j, y=i); landmarks are (x, y) in output
pixels. Camera frame: x right, y down, z forward (OpenCV). The head frame has its origin at
the ellipsoid centre and is aligned with the camera axes in the canonical (un-posed) view.
"""

from __future__ import annotations

import functools
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from talkbench.datasets import speech
from talkbench.core.errors import BenchError
from talkbench.core.types import Clip, SAMPLE_RATE, train_test_split_index
from talkbench.geometry import camera, so3

SOURCE_IMAGE = "skimage.data.astronaut (public domain, NASA)"

# ----------------------------------------------------------------------------- geometry helpers


def _smooth_walk(rng: np.random.Generator, n: int, fps: float, amplitude: float, max_hz: float) -> np.ndarray:
    """A smooth random signal: sum of three low-frequency sinusoids, scaled to peak at `amplitude`."""
    t = np.arange(n) / fps
    freqs = rng.uniform(0.05, max_hz, size=3)
    phases = rng.uniform(0, 2 * np.pi, size=3)
    weights = rng.uniform(0.5, 1.0, size=3)
    s = sum(w * np.sin(2 * np.pi * f * t + p) for w, f, p in zip(weights, freqs, phases))
    peak = float(np.max(np.abs(s))) if n else 0.0
    return s * (amplitude / peak) if peak > 0 else np.zeros(n)


def _ray_ellipsoid(dirs: np.ndarray, R: np.ndarray, centre: np.ndarray, axes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest hits of camera rays (origin 0, directions [N,3]) with the posed ellipsoid, in the head frame.

    Returns (points [N,3] in the head frame, hit mask [N]).
    """
    o = -(R.T @ centre) / axes  # ray origin in the head frame, scaled to the unit sphere
    d = (dirs @ R) / axes  # Rᵀ d per row
    a = np.einsum("ij,ij->i", d, d)
    b = 2.0 * (d @ o)
    c = float(o @ o) - 1.0
    disc = b * b - 4.0 * a * c
    hit = disc > 0
    lam = (-b - np.sqrt(np.maximum(disc, 0.0))) / (2.0 * a)
    pts = (o[None, :] + lam[:, None] * d) * axes
    return pts, hit


# ----------------------------------------------------------------------------- the scene


class _Scene:
    """Everything about the card at one resolution that does not change from frame to frame."""

    def __init__(self, card: dict[str, Any], resolution: int) -> None:
        g = card["generator"]
        self.g = g
        self.res = res = int(resolution)
        x0, y0, x1, y1 = (float(v) for v in g["crop"])
        if abs((x1 - x0) - (y1 - y0)) > 1e-6:
            raise BenchError(f"card {card.get('name')}: generator.crop must be square, got {g['crop']}")
        self.crop = (x0, y0, x1, y1)
        self.s = res / (x1 - x0)  # output px per source px

        source, background = _source_layers(
            tuple(int(v) for v in g["crop"]), tuple(g["head_center"]), tuple(g["head_axes"]),
            tuple(tuple(p) for p in g["torso_polygon"]), int(g["person_dilate"]), int(g["inpaint_radius"]),
        )
        interp = cv2.INTER_AREA if res < source.shape[0] else cv2.INTER_CUBIC
        self.texture = np.clip(cv2.resize(source, (res, res), interpolation=interp).astype(np.float32), 0, 255)
        self.background = np.clip(cv2.resize(background, (res, res), interpolation=interp).astype(np.float32), 0, 255)

        # camera
        self.f = float(g["focal_factor"]) * res
        self.cx = self.cy = (res - 1) / 2.0
        # head ellipse in output px and the ellipsoid in metres
        self.hu, self.hv = self.to_out(g["head_center"])
        self.ha, self.hb = float(g["head_axes"][0]) * self.s, float(g["head_axes"][1]) * self.s
        self.m_per_px = float(g["head_semi_axis_m"]) / self.ha
        z0 = self.f * self.m_per_px
        self.c0 = np.array([(self.hu - self.cx) * self.m_per_px, (self.hv - self.cy) * self.m_per_px, z0])
        a = float(g["head_semi_axis_m"])
        self.axes = np.array([a, self.hb * self.m_per_px, float(g["head_depth_ratio"]) * a])

        # head alpha: the head ellipse (hair) above head_cut_y, the face ellipse (jaw) below,
        # with a wider feather at the chin so the head blends into the neck
        yy, xx = np.mgrid[0:res, 0:res].astype(np.float32)
        rn = np.sqrt(((xx - self.hu) / self.ha) ** 2 + ((yy - self.hv) / self.hb) ** 2)
        a_head = np.clip((1.0 - rn) / max(float(g["head_feather"]), 1.5 / min(self.ha, self.hb)), 0.0, 1.0)
        c0y, c1y = self.to_out((0, g["head_cut_y"][0]))[1], self.to_out((0, g["head_cut_y"][1]))[1]
        cut = np.clip((yy - c0y) / max(c1y - c0y, 1e-6), 0.0, 1.0)
        a_head *= 1.0 - cut * cut * (3 - 2 * cut)
        fu, fv = self.to_out(g["face_center"])
        fa, fb = float(g["face_axes"][0]) * self.s, float(g["face_axes"][1]) * self.s
        rf = np.sqrt(((xx - fu) / fa) ** 2 + ((yy - fv) / fb) ** 2)
        down = np.clip((yy - fv) / fb, 0.0, 1.0) ** 2
        feather = float(g["head_feather"]) + (float(g["neck_feather"]) - float(g["head_feather"])) * down
        a_face = np.clip((1.0 - rf) / np.maximum(feather, 1.5 / min(fa, fb)), 0.0, 1.0)
        self.head_alpha = np.maximum(a_head, a_face).astype(np.float32)
        self.head_rgba = np.dstack([self.texture, self.head_alpha]).astype(np.float32)

        # torso layer: the whole crop with a feathered polygon alpha (warped with replicated borders);
        # behind the face its texture repeats the neck row, so relative motion never shows a second chin
        torso_tex = self.texture.copy()
        neck_row = int(round(self.to_out((0, g["neck_y"]))[1]))
        nx0, nx1 = (int(round(self.to_out((x, 0))[0])) for x in g["neck_x"])
        behind = (rf < 1.02) & (yy < neck_row)
        neck = self.texture[neck_row, np.clip(np.arange(res), nx0, nx1)]
        rows = np.broadcast_to(neck[None], torso_tex.shape)
        torso_tex[behind] = rows[behind]
        blur = cv2.GaussianBlur(torso_tex, (0, 0), max(0.5, 1.5 * self.s))
        wb = cv2.GaussianBlur(behind.astype(np.float32), (0, 0), max(0.5, 2.0 * self.s))[..., None]
        torso_tex = torso_tex * (1 - wb) + blur * wb
        poly = np.array([self.to_out(p) for p in g["torso_polygon"]], np.float32)
        tmask = np.zeros((res, res), np.uint8)
        cv2.fillPoly(tmask, [np.round(poly * 16).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=4)
        talpha = cv2.GaussianBlur(tmask.astype(np.float32) / 255.0, (0, 0), max(0.6, 1.2 * self.s))
        self.torso_rgba = np.dstack([torso_tex, talpha]).astype(np.float32)
        self.torso_pivot = (fu, fv + fb)

        # mouth warp: displacement field shape G(x, y) in [0, 1] over a box around mouth and chin
        mx, my = self.to_out(g["mouth"])
        self.mouth = (mx, my)
        chin_y = self.to_out(g["chin"])[1]
        mw = float(g["mouth_width"]) * self.s
        sig = 0.6 * mw
        bx0, bx1 = int(np.floor(mx - 3 * sig)), int(np.ceil(mx + 3 * sig)) + 1
        by0, by1 = int(np.floor(my - 3 * self.s)), int(np.ceil(chin_y + 22 * self.s)) + 1
        bx0, by0 = max(0, bx0), max(0, by0)
        bx1, by1 = min(res, bx1), min(res, by1)
        self.warp_box = (bx0, by0, bx1, by1)
        self.chin_y = chin_y
        self._sig = sig
        gy_, gx_ = np.mgrid[by0:by1, bx0:bx1].astype(np.float32)
        self.warp_grid = (gx_, gy_)
        self.warp_shape = self.jaw_field(gx_, gy_)

        # blink: per-eye lid colour: the cheek below the eye, a little darker and redder on the canonical texture
        self.eyes = [self.to_out(g["eye_left"]), self.to_out(g["eye_right"])]
        self.eye_axes = (9.0 * self.s, 4.3 * self.s)
        self.lid_rgb = []
        for ex, ey in self.eyes:
            r0, r1 = int(round(ey + 8 * self.s)), int(round(ey + 11 * self.s)) + 1
            c0, c1 = int(round(ex - 4 * self.s)), int(round(ex + 4 * self.s)) + 1
            cheek = np.median(self.texture[r0:r1, c0:c1].reshape(-1, 3), axis=0)
            self.lid_rgb.append((cheek * np.array([0.9, 0.8, 0.78])).astype(np.float32))

        self.landmarks0 = self.canonical_landmarks()

    def to_out(self, p) -> tuple[float, float]:
        """Source-photo pixel (x, y) → output pixel (x, y) at this resolution."""
        x0, y0 = self.crop[0], self.crop[1]
        return ((float(p[0]) - x0 + 0.5) * self.s - 0.5, (float(p[1]) - y0 + 0.5) * self.s - 0.5)

    # ---- mouth / jaw
    def jaw_field(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Shape of the jaw-drop displacement (0..1): 0 above the lips, 1 from the lower lip to the chin."""
        mx, my = self.mouth
        s = self.s
        gx = np.exp(-0.5 * ((x - mx) / self._sig) ** 2)
        up = np.clip((y - (my - 1.0 * s)) / (4.0 * s), 0.0, 1.0)
        down = np.clip(1.0 - (y - self.chin_y) / (20.0 * s), 0.0, 1.0)
        sm = lambda v: v * v * (3 - 2 * v)  # noqa: E731
        return (gx * sm(up) * sm(down)).astype(np.float32)

    def paint_face(self, opening: float, blink: float) -> np.ndarray:
        """The canonical head texture (RGBA) with the mouth open by `opening` and eyelids closed by `blink`."""
        tex = self.head_rgba.copy()
        g, s = self.g, self.s
        if opening > 0:
            drop = opening * float(g["jaw_drop"]) * s
            bx0, by0, bx1, by1 = self.warp_box
            gx_, gy_ = self.warp_grid
            map_y = gy_ - drop * self.warp_shape
            region = cv2.remap(self.head_rgba, gx_, map_y.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            tex[by0:by1, bx0:bx1] = region
            # dark interior with upper teeth, between the upper lip and the lowered lower lip
            mx, my = self.mouth
            h = opening * float(g["mouth_inner_height"]) * s
            ax = 0.5 * float(g["mouth_width"]) * s * (0.72 + 0.16 * opening)
            ay = 0.5 * h + 0.9 * s
            ey = my - 1.2 * s + 0.5 * h + 0.4 * s
            x_lo, x_hi = int(np.floor(mx - ax - 2)), int(np.ceil(mx + ax + 2)) + 1
            y_lo, y_hi = int(np.floor(ey - ay - 2)), int(np.ceil(ey + ay + 2)) + 1
            yy, xx = np.mgrid[y_lo:y_hi, x_lo:x_hi].astype(np.float32)
            rn = np.sqrt(((xx - mx) / ax) ** 2 + ((yy - ey) / ay) ** 2)
            alpha = np.clip((1.0 - rn) * min(ax, ay) + 0.5, 0.0, 1.0) * min(1.0, 5.0 * opening)
            top = ey - ay
            teeth = np.clip((top + 0.28 * 2 * ay + 0.3 * s - yy) / max(0.5, 0.6 * s), 0.0, 1.0)
            teeth *= 0.75 * np.clip(1.0 - np.abs(xx - mx) / (0.8 * ax), 0.0, 1.0) ** 0.5
            interior = np.array([52.0, 20.0, 26.0], np.float32)
            tooth = np.array([226.0, 214.0, 198.0], np.float32)
            color = interior[None, None, :] * (1 - teeth[..., None]) + tooth[None, None, :] * teeth[..., None]
            sub = tex[y_lo:y_hi, x_lo:x_hi, :3]
            sub[:] = sub * (1 - alpha[..., None]) + color * alpha[..., None]
        if blink > 0:
            ea, eb = self.eye_axes
            for (ex, ey), lid in zip(self.eyes, self.lid_rgb):
                x_lo, x_hi = int(np.floor(ex - ea - 2)), int(np.ceil(ex + ea + 2)) + 1
                y_lo, y_hi = int(np.floor(ey - eb - 2)), int(np.ceil(ey + eb + 2)) + 1
                yy, xx = np.mgrid[y_lo:y_hi, x_lo:x_hi].astype(np.float32)
                rn = np.sqrt(((xx - ex) / ea) ** 2 + ((yy - ey) / eb) ** 2)
                inside = np.clip((1.0 - rn) * min(ea, eb) + 0.5, 0.0, 1.0)
                lid_y = ey - eb + blink * 2 * eb
                cover = np.clip(lid_y - yy + 0.5, 0.0, 1.0) * inside
                lash_y = min(lid_y, ey + 0.55 * eb)
                lash = np.clip(1.0 - np.abs(yy - lash_y) / max(0.7, 0.9 * s), 0.0, 1.0) * np.clip(inside * 2, 0, 1) * 0.75 * blink
                shade = 1.0 - 0.12 * np.clip((yy - (ey - eb)) / (2 * eb), 0.0, 1.0)  # darker towards the lashes
                sub = tex[y_lo:y_hi, x_lo:x_hi, :3]
                sub[:] = sub * (1 - cover[..., None]) + (lid[None, None, :] * shade[..., None]) * cover[..., None]
                sub[:] = sub * (1 - lash[..., None]) + np.float32(40.0) * lash[..., None]
        return tex

    # ---- landmarks
    def canonical_landmarks(self) -> np.ndarray:
        """The 68 iBUG points (x, y) in source-photo pixels, built from the card's anchors."""
        g = self.g
        el, er = np.array(g["eye_left"], float), np.array(g["eye_right"], float)
        mx, my = g["mouth"]
        hw = 0.5 * float(g["mouth_width"])
        nx, ny = g["nose_tip"]
        chin_y = float(g["chin"][1])
        xc = 0.5 * (el[0] + er[0])
        jt, jh = float(g["jaw_top_y"]), float(g["jaw_half_width"])
        pts: list[tuple[float, float]] = []
        for k in range(17):  # jaw 0-16
            phi = np.pi * k / 16
            pts.append((xc - jh * np.cos(phi), jt + (chin_y - jt) * np.sin(phi)))
        by = float(g["brow_y"])
        for ex, sign in ((el[0], -1), (er[0], 1)):  # brows 17-21, 22-26 (left to right in the image)
            xs = np.linspace(ex - 14, ex + 10, 5) if sign < 0 else np.linspace(ex - 10, ex + 14, 5)
            for j, x in enumerate(xs):
                pts.append((x, by - 2.5 * np.sin(np.pi * (j + 0.5) / 5)))
        eye_mid_y = 0.5 * (el[1] + er[1])
        for j in range(4):  # nose bridge 27-30
            pts.append((nx, eye_mid_y + (ny - eye_mid_y) * j / 3))
        for dx, dy in ((-9, 3), (-4.5, 4.5), (0, 5), (4.5, 4.5), (9, 3)):  # nostrils 31-35
            pts.append((nx + dx, ny + dy))
        for ex, ey in (el, er):  # eyes 36-41, 42-47: corner, 2 upper, corner, 2 lower
            pts += [(ex - 8, ey), (ex - 3, ey - 3), (ex + 3, ey - 3), (ex + 8, ey), (ex + 3, ey + 2.5), (ex - 3, ey + 2.5)]
        outer = [(-1, -1), (-0.6, -5), (-0.25, -7), (0, -6), (0.25, -7), (0.6, -5), (1, -1),
                 (0.6, 5), (0.25, 7), (0, 7.5), (-0.25, 7), (-0.6, 5)]
        pts += [(mx + fx * hw, my + dy) for fx, dy in outer]  # outer lips 48-59
        inner = [(-0.8, 0), (-0.3, -1.5), (0, -1.5), (0.3, -1.5), (0.8, 0), (0.3, 1.5), (0, 1.5), (-0.3, 1.5)]
        pts += [(mx + fx * hw, my + dy) for fx, dy in inner]  # inner lips 60-67
        return np.array(pts, np.float64)

    def frame_landmarks_2d(self, opening: float, blink: float) -> np.ndarray:
        """Canonical landmarks (output px) after mouth opening and blink, before the 3D pose."""
        pts = np.array([self.to_out(p) for p in self.landmarks0], np.float64)
        g, s = self.g, self.s
        if opening > 0:
            drop = opening * float(g["jaw_drop"]) * s
            for idx in list(range(2, 15)) + list(range(55, 60)):
                x, y0 = pts[idx]
                y = y0
                for _ in range(4):  # forward position of a texel moved by the inverse warp y - D(x, y)
                    y = y0 + drop * float(self.jaw_field(np.float32(x), np.float32(y)))
                pts[idx, 1] = y
            h = opening * float(g["mouth_inner_height"]) * s
            mx = self.mouth[0]
            ax = 0.5 * float(g["mouth_width"]) * s * (0.72 + 0.16 * opening)
            for idx in (65, 66, 67):
                fx = (pts[idx, 0] - mx) / ax
                pts[idx, 1] += h * np.sqrt(max(0.0, 1.0 - fx * fx))
        if blink > 0:
            for up, low in ((37, 41), (38, 40), (43, 47), (44, 46)):
                pts[up, 1] += blink * (pts[low, 1] - pts[up, 1])
        return pts

    def lift(self, pts2d: np.ndarray) -> np.ndarray:
        """Canonical image points → points on the front of the canonical ellipsoid (head frame, metres)."""
        dirs = np.stack([(pts2d[:, 0] - self.cx) / self.f, (pts2d[:, 1] - self.cy) / self.f, np.ones(len(pts2d))], axis=1)
        q, hit = _ray_ellipsoid(dirs, np.eye(3), self.c0, self.axes)
        # rays that miss: take the point at the ellipsoid centre's depth
        plane = dirs * self.c0[2] - self.c0[None, :]
        return np.where(hit[:, None], q, plane)

    # ---- head rendering
    def render_head(self, tex: np.ndarray, R: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """RGBA head layer [res,res,4] of the ellipsoid posed by (R, centre), textured by `tex`."""
        res = self.res
        out = np.zeros((res, res, 4), np.float32)
        r = float(np.max(self.axes)) * 1.02
        u, v = camera.project(centre, self.f, self.f, self.cx, self.cy)
        rad = self.f * r / max(centre[2] - r, 1e-6) + 2
        x0, x1 = max(0, int(u - rad)), min(res, int(np.ceil(u + rad)) + 1)
        y0, y1 = max(0, int(v - rad)), min(res, int(np.ceil(v + rad)) + 1)
        if x0 >= x1 or y0 >= y1:
            return out
        ys, xs = np.mgrid[y0:y1, x0:x1]
        dirs = np.stack([(xs.ravel() - self.cx) / self.f, (ys.ravel() - self.cy) / self.f, np.ones(xs.size)], axis=1)
        q, hit = _ray_ellipsoid(dirs, R, centre, self.axes)
        # texels the canonical camera could not see (back of the ellipsoid): mirror to the front
        q[:, 2] = -np.abs(q[:, 2])
        P = q + self.c0[None, :]
        uv = camera.project(P, self.f, self.f, self.cx, self.cy)
        uv[~hit] = -10.0
        mu, mv = uv[:, 0], uv[:, 1]
        shape = (y1 - y0, x1 - x0)
        out[y0:y1, x0:x1] = cv2.remap(tex, mu.reshape(shape).astype(np.float32), mv.reshape(shape).astype(np.float32),
                                      cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return out


@functools.lru_cache(maxsize=4)
def _source_layers(crop: tuple[int, ...], head_center: tuple[float, float], head_axes: tuple[float, float],
                   torso_polygon: tuple[tuple[float, float], ...], dilate: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """(source crop, inpainted background crop), RGB uint8 at source resolution."""
    import skimage.data

    img = skimage.data.astronaut()
    H, W = img.shape[:2]
    x0, y0, x1, y1 = crop
    if not (0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H):
        raise BenchError(f"generator.crop {list(crop)} lies outside the {W}x{H} source image")
    mask = np.zeros((H, W), np.uint8)
    cv2.ellipse(mask, (int(round(head_center[0])), int(round(head_center[1]))),
                (int(round(head_axes[0])), int(round(head_axes[1]))), 0, 0, 360, 255, -1)
    cv2.fillPoly(mask, [np.round(np.array(torso_polygon)).astype(np.int32)], 255)
    if dilate > 0:
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1)))
    # inpaint a margin around the crop so the plate is consistent at its edges
    m = 24
    ax0, ay0, ax1, ay1 = max(0, x0 - m), max(0, y0 - m), min(W, x1 + m), min(H, y1 + m)
    bgr = cv2.cvtColor(np.ascontiguousarray(img[ay0:ay1, ax0:ax1]), cv2.COLOR_RGB2BGR)
    filled = cv2.inpaint(bgr, mask[ay0:ay1, ax0:ax1], radius, cv2.INPAINT_TELEA)
    filled = cv2.cvtColor(filled, cv2.COLOR_BGR2RGB)
    # soften the inpainted area a little (Telea streaks) and keep the rest as is
    blurred = cv2.GaussianBlur(filled, (0, 0), 4.0)
    soft = cv2.GaussianBlur(mask[ay0:ay1, ax0:ax1].astype(np.float32) / 255.0, (0, 0), 3.0)[..., None]
    plate = np.clip(filled * (1 - soft) + blurred * soft, 0, 255).astype(np.uint8)
    src = img[y0:y1, x0:x1].copy()
    bg = plate[y0 - ay0 : y1 - ay0, x0 - ax0 : x1 - ax0].copy()
    return src, bg


# ----------------------------------------------------------------------------- signals


def mouth_opening(audio: np.ndarray, n_frames: int, fps: float, window_frames: float, silence_db: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame mouth opening in [0,1] from the speech RMS (window centred on each frame), and the RMS."""
    spf = SAMPLE_RATE / fps
    half = int(round(window_frames * spf / 2))
    padded = np.pad(audio.astype(np.float64), (half, half))
    centres = np.round((np.arange(n_frames) + 0.5) * spf).astype(int) + half
    cs = np.concatenate([[0.0], np.cumsum(padded**2)])
    rms = np.sqrt(np.maximum(cs[centres + half] - cs[centres - half], 0.0) / (2 * half))
    peak = float(rms.max()) if n_frames else 0.0
    if peak <= 0:
        return np.zeros(n_frames, np.float32), rms.astype(np.float32)
    threshold = peak * 10 ** (silence_db / 20)
    gated = rms < threshold
    voiced = rms[~gated]
    top = float(np.percentile(voiced, 95)) if voiced.size else peak
    o = np.clip((rms - threshold) / max(top - threshold, 1e-9), 0.0, 1.0)
    o = np.convolve(np.pad(o, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    o = np.where(gated, 0.0, o)
    return o.astype(np.float32), rms.astype(np.float32)


def blink_track(n_frames: int, fps: float, rng: np.random.Generator, interval_s: list[float], frames: list[int]) -> np.ndarray:
    """Eyelid closure in [0,1] per frame: blinks every `interval_s` seconds, `frames` frames long."""
    out = np.zeros(n_frames, np.float32)
    t = float(rng.uniform(0.3, interval_s[0]))
    while True:
        start = int(round(t * fps))
        if start >= n_frames:
            break
        n = int(rng.integers(int(frames[0]), int(frames[1]) + 1))
        for k in range(n):
            if start + k < n_frames:
                out[start + k] = max(out[start + k], min(1.0, 1.3 * np.sin(np.pi * (k + 1) / (n + 1))))
        t += float(rng.uniform(interval_s[0], interval_s[1]))
    return out


# ----------------------------------------------------------------------------- the generator


def generate_portrait(card: dict[str, Any], resolution: int) -> Clip:
    """Generate the card's synthetic talking portrait at `resolution`×`resolution` (deterministic)."""
    if "generator" not in card:
        raise BenchError(f"card {card.get('name')!r} has no [generator] table")
    g = card["generator"]
    fps = float(card.get("fps", 25))
    sr = int(card.get("sample_rate", SAMPLE_RATE))
    if sr != SAMPLE_RATE:
        raise BenchError(f"card {card.get('name')!r}: sample_rate must be {SAMPLE_RATE}, got {sr}")
    seed = int(g["seed"])
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**31, size=8)
    n_frames = int(round(float(g["seconds"]) * fps))
    if n_frames < 2:
        raise BenchError(f"card {card.get('name')!r}: generator.seconds gives {n_frames} frames")
    n_audio = int(round(n_frames / fps * SAMPLE_RATE))
    scene = _Scene(card, resolution)
    res = scene.res

    # speech and the signals it drives
    sources = list(g.get("speech_sources", ["espeak"]))
    texts = list(g.get("texts", []))
    clean = speech.speech_track(sources, texts, n_audio / SAMPLE_RATE, int(seeds[0]))[:n_audio]
    opening, _ = mouth_opening(clean, n_frames, fps, float(g["mouth_window_frames"]), float(g["silence_db"]))
    blink = blink_track(n_frames, fps, np.random.default_rng(int(seeds[1])), list(g["blink_interval_s"]), list(g["blink_frames"]))

    # head motion
    mrng = np.random.default_rng(int(seeds[2]))
    max_hz = float(g["motion_max_hz"])
    yaw = np.deg2rad(_smooth_walk(mrng, n_frames, fps, float(g["yaw_deg"]), max_hz))
    pitch = np.deg2rad(_smooth_walk(mrng, n_frames, fps, float(g["pitch_deg"]), max_hz))
    roll = np.deg2rad(_smooth_walk(mrng, n_frames, fps, float(g["roll_deg"]), max_hz))
    tx_px = _smooth_walk(mrng, n_frames, fps, float(g["translate_frac"]) * res, max_hz)
    ty_px = _smooth_walk(mrng, n_frames, fps, float(g["translate_frac"]) * res, max_hz)
    tz = _smooth_walk(mrng, n_frames, fps, float(g["translate_z_frac"]) * scene.c0[2], max_hz)

    frames = np.empty((n_frames, res, res, 3), np.uint8)
    head_mask = np.empty((n_frames, res, res), np.uint8)
    torso_mask = np.empty((n_frames, res, res), np.uint8)
    poses = np.zeros((n_frames, 4, 4), np.float32)
    landmarks = np.empty((n_frames, 68, 2), np.float32)
    bg = scene.background
    follow, roll_follow = float(g["torso_follow"]), float(g["torso_roll_follow"])
    for i in tqdm(range(n_frames), desc=f"generate {card['name']} {res}px", unit="frame", leave=False, disable=None):
        R = so3.from_yaw_pitch_roll(yaw[i], pitch[i], roll[i])
        z = scene.c0[2] + tz[i]
        # the head centre moves by (tx_px, ty_px) in the image, at depth z
        k = z / scene.c0[2]
        centre = np.array([(scene.c0[0] + tx_px[i] * scene.m_per_px) * k, (scene.c0[1] + ty_px[i] * scene.m_per_px) * k, z])
        poses[i] = camera.pose_matrix(R, centre)

        tex = scene.paint_face(float(opening[i]), float(blink[i]))
        head = scene.render_head(tex, R, centre)
        # torso: a fraction of the head's image translation and roll, about the neck base
        du = scene.f * centre[0] / centre[2] - scene.f * scene.c0[0] / scene.c0[2]
        dv = scene.f * centre[1] / centre[2] - scene.f * scene.c0[1] / scene.c0[2]
        M = cv2.getRotationMatrix2D(scene.torso_pivot, -np.rad2deg(roll[i]) * roll_follow, 1.0)
        M[:, 2] += (follow * du, follow * dv)
        torso = cv2.warpAffine(scene.torso_rgba, M, (res, res), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        at = torso[..., 3:4]
        ah = head[..., 3:4]
        img = bg * (1 - at) + torso[..., :3] * at
        img = img * (1 - ah) + head[..., :3] * ah
        frames[i] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        hm = ah[..., 0] >= 0.5
        head_mask[i] = hm
        torso_mask[i] = (at[..., 0] >= 0.5) & ~hm

        pts = scene.lift(scene.frame_landmarks_2d(float(opening[i]), float(blink[i])))
        landmarks[i] = camera.project(pts @ R.T + centre[None, :], scene.f, scene.f, scene.cx, scene.cy)

    intrinsics = {"fx": scene.f, "fy": scene.f, "cx": scene.cx, "cy": scene.cy, "width": res, "height": res}
    annotations: dict[str, np.ndarray] = {
        "mouth_open": opening.astype(np.float32),
        "blink": blink.astype(np.float32),
        "head_pose": poses,
        "landmarks": landmarks,
        "head_mask": head_mask,
        "torso_mask": torso_mask,
    }
    meta: dict[str, Any] = {
        "generator": "talkbench.datasets.synthetic.generate_portrait",
        "source_image": SOURCE_IMAGE,
        "intrinsics": intrinsics,
        "head_pose_convention": "head->camera rigid transform, metres; camera x right, y down, z forward; "
        "head origin at the ellipsoid centre, axes = camera axes in the canonical view",
        "ellipsoid_semi_axes_m": [float(v) for v in scene.axes],
        "speech_sources": sources,
        "settings": {k: v for k, v in g.items() if k != "texts"},
        "seed": seed,
        "resolution": res,
    }
    audio = clean
    audio_tracks: dict[str, np.ndarray] = {}
    n_train = train_test_split_index(n_frames)
    wild = card.get("wild")
    if wild:
        from talkbench.datasets import occluders

        w = wild
        episodes = occluders.plan_episodes(
            n_frames, n_train, fps, int(w["occluder_episodes"]), tuple(w["occluder_seconds"]),
            tuple(w["occluder_height"]), tuple(w["occluder_reach"]), int(seeds[3]),
        )
        occluded, occ_mask = occluders.render_occluders(frames, episodes)
        annotations["clean_frames"] = frames
        annotations["occluder_mask"] = occ_mask
        frames = occluded
        noisy, segments = speech.add_noise_segments(
            clean, list(w["noise_types"]), float(w["snr_db"]), float(w["noise_segment_seconds"]), int(seeds[4]), texts
        )
        peak = float(np.max(np.abs(noisy)))
        gain = np.float32(min(1.0, 0.99 / peak)) if peak > 0 else np.float32(1.0)
        audio = (noisy * gain).astype(np.float32)
        audio_tracks["clean"] = (clean * gain).astype(np.float32)
        meta["wild"] = {
            "snr_db": float(w["snr_db"]),
            "noise_types": list(w["noise_types"]),
            "noise_segments": segments,
            "audio_gain": float(gain),
            "occluder_episodes": [e.to_dict() for e in episodes],
            "masks_describe": "head_mask/torso_mask describe the clean frames; occluder_mask the hand",
        }
    return Clip(name=str(card["name"]), frames=frames, fps=fps, audio=audio.astype(np.float32), sample_rate=SAMPLE_RATE,
                annotations=annotations, audio_tracks=audio_tracks, n_train=None, meta=meta)
