"""Camera rays, pixel subsets, ray-box intersection and sampling along rays.

Camera convention (torch-ngp's `get_rays`, used unchanged by ER-NeRF and RAD-NeRF): OpenCV
axes. In camera space +x points right, +y down, +z forward (the viewing direction); the pixel
(row j, column i) looks along ((i + 0.5 - cx) / fx, (j + 0.5 - cy) / fy, 1), i.e. through the
pixel centre. A camera-to-world matrix's rotation columns are those axes in world space and
its last column the camera centre. Directions are unit length, so depths along a ray are
metric distances. The datasets' transforms.json poses are OpenGL (y up, z backward); the
references flip their y and z columns on load (`nerf_matrix_to_ngp`), which
`opengl_to_opencv` does here.

Pixels are indexed flat in row-major order, `row * W + col`, so `gather_pixels` picks the
ground truth of the rays that `camera_rays` made for the same indices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import torch

PixelMode = Literal["all", "random", "patch"]


@dataclass
class Rays:
    """Ray origins and unit directions, [..., 3] each, with the flat pixel indices they came from."""

    origins: torch.Tensor
    """[..., N, 3] world-space ray origins (the camera centre)."""
    directions: torch.Tensor
    """[..., N, 3] world-space unit directions."""
    pixel_index: torch.Tensor
    """[N] flat pixel indices, row * W + col."""


def opengl_to_opencv(c2w: torch.Tensor) -> torch.Tensor:
    """Camera-to-world of OpenGL axes (y up, z back) -> OpenCV axes (y down, z forward): negate columns 1 and 2."""
    out = c2w.clone()
    out[..., :3, 1:3] = -out[..., :3, 1:3]
    return out


def sample_pixels(
    height: int,
    width: int,
    mode: PixelMode = "all",
    num_rays: int = 0,
    patch_size: int = 1,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Flat pixel indices (int64 [N]): every pixel, `num_rays` random pixels, or random square patches.

    "random" draws with replacement, as torch-ngp does. "patch" draws num_rays // patch_size**2
    patches whose top-left corner is uniform over every position that keeps the patch inside
    the image (torch-ngp's excludes the last row and column); the indices of each patch are
    contiguous and row-major, so `.view(P, patch_size, patch_size)` gives image patches (LPIPS).
    """
    if height < 1 or width < 1:
        raise ValueError(f"sample_pixels: bad image size {height}x{width}")
    if mode == "all":
        return torch.arange(height * width, device=device)
    if num_rays < 1:
        raise ValueError(f"sample_pixels: mode {mode!r} needs num_rays >= 1, got {num_rays}")
    # Draw on the generator's device (CPU generators cannot feed CUDA ops), then move.
    gen_device = generator.device if generator is not None else device
    if mode == "random":
        inds = torch.randint(0, height * width, (num_rays,), generator=generator, device=gen_device)
        return inds.to(device)
    if mode == "patch":
        if patch_size < 1 or patch_size > min(height, width):
            raise ValueError(f"sample_pixels: patch_size {patch_size} does not fit a {height}x{width} image")
        num_patches = num_rays // patch_size**2
        if num_patches < 1:
            raise ValueError(f"sample_pixels: num_rays {num_rays} < one {patch_size}x{patch_size} patch")
        rows = torch.randint(0, height - patch_size + 1, (num_patches,), generator=generator, device=gen_device)
        cols = torch.randint(0, width - patch_size + 1, (num_patches,), generator=generator, device=gen_device)
        offs = torch.arange(patch_size, device=gen_device)
        r = rows[:, None, None] + offs[None, :, None]
        c = cols[:, None, None] + offs[None, None, :]
        return (r * width + c).reshape(-1).to(device)
    raise ValueError(f"sample_pixels: unknown mode {mode!r}; use 'all', 'random' or 'patch'")


def gather_pixels(image: torch.Tensor, pixel_index: torch.Tensor) -> torch.Tensor:
    """Values of [H, W, C] (or [B, H, W, C]) `image` at flat indices -> [N, C] (or [B, N, C])."""
    flat = image.reshape(*image.shape[:-3], image.shape[-3] * image.shape[-2], image.shape[-1])
    return flat[..., pixel_index.to(flat.device), :]


def camera_rays(
    c2w: torch.Tensor,
    intrinsics: Sequence[float] | torch.Tensor,
    height: int,
    width: int,
    pixel_index: torch.Tensor | None = None,
) -> Rays:
    """Rays through pixel centres of a pinhole camera (OpenCV axes); c2w [4, 4] or [B, 4, 4] -> [N, 3] or [B, N, 3]."""
    if c2w.shape[-2:] not in ((4, 4), (3, 4)):
        raise ValueError(f"camera_rays: c2w must be [..., 4, 4] or [..., 3, 4], got {tuple(c2w.shape)}")
    fx, fy, cx, cy = (float(v) for v in (intrinsics.tolist() if isinstance(intrinsics, torch.Tensor) else intrinsics))
    device = c2w.device
    dtype = c2w.dtype if c2w.is_floating_point() else torch.float32
    if pixel_index is None:
        pixel_index = torch.arange(height * width, device=device)
    pixel_index = pixel_index.to(device)
    cols = (pixel_index % width).to(dtype) + 0.5
    rows = torch.div(pixel_index, width, rounding_mode="floor").to(dtype) + 0.5
    dirs_cam = torch.stack([(cols - cx) / fx, (rows - cy) / fy, torch.ones_like(cols)], dim=-1)
    dirs_cam = dirs_cam / dirs_cam.norm(dim=-1, keepdim=True)
    rot = c2w[..., :3, :3].to(dtype)
    directions = dirs_cam @ rot.transpose(-1, -2)  # [..., N, 3]: d_world = R d_cam
    origins = c2w[..., None, :3, 3].to(dtype).expand_as(directions)
    return Rays(origins=origins, directions=directions, pixel_index=pixel_index)


def near_far_from_aabb(
    origins: torch.Tensor,
    directions: torch.Tensor,
    aabb: Sequence[float] | torch.Tensor,
    min_near: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(near, far, hit) of rays [..., 3] against the box aabb = (xmin, ymin, zmin, xmax, ymax, zmax).

    Slab method, as torch-ngp's `near_far_from_aabb`: near is clamped up to `min_near`. A ray
    hits when its slab interval is non-empty and ends at or beyond `min_near` (torch-ngp
    returns near = far = FLT_MAX for a miss and does not catch boxes behind the camera).
    Missed rays get near = far = min_near: an empty interval, so with `deltas_from_depths(z,
    far)` their samples have zero length and render as pure background.
    """
    box = torch.as_tensor(aabb, dtype=origins.dtype, device=origins.device)
    lo, hi = box[:3], box[3:]
    t0 = (lo - origins) / directions
    t1 = (hi - origins) / directions
    # A ray parallel to a slab is inside it for all t or for none; 1/0 would give NaN on its faces.
    parallel = directions == 0
    in_slab = (origins >= lo) & (origins <= hi)
    inf = torch.full_like(t0, math.inf)
    t_lo = torch.where(parallel, torch.where(in_slab, -inf, inf), torch.minimum(t0, t1))
    t_hi = torch.where(parallel, torch.where(in_slab, inf, -inf), torch.maximum(t0, t1))
    t_enter = t_lo.amax(dim=-1)
    t_exit = t_hi.amin(dim=-1)
    near = t_enter.clamp(min=min_near)
    hit = (t_enter <= t_exit) & (t_exit >= min_near)
    near = torch.where(hit, near, torch.full_like(near, min_near))
    far = torch.where(hit, t_exit, torch.full_like(t_exit, min_near))
    return near, far, hit


def stratified_samples(
    near: torch.Tensor,
    far: torch.Tensor,
    num_steps: int,
    perturb: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Depths [R, num_steps], one per equal bin of [near, far]: bin centres, or uniform in each bin when perturbed.

    NeRF's stratified sampling (Mildenhall et al. 2020, eq. 2); every depth stays inside
    [near, far] and the rows are sorted. Draws come from `generator` (deterministic given its seed).
    """
    if num_steps < 1:
        raise ValueError(f"stratified_samples: num_steps must be >= 1, got {num_steps}")
    near = near.reshape(-1, 1)
    far = far.reshape(-1, 1)
    if perturb:
        gen_device = generator.device if generator is not None else near.device
        u = torch.rand(near.shape[0], num_steps, generator=generator, device=gen_device, dtype=near.dtype)
        u = u.to(near.device)
    else:
        u = torch.full((near.shape[0], num_steps), 0.5, dtype=near.dtype, device=near.device)
    steps = torch.arange(num_steps, dtype=near.dtype, device=near.device)
    t = (steps + u) / num_steps
    return near + (far - near) * t


def sample_pdf(
    bins: torch.Tensor,
    weights: torch.Tensor,
    num_samples: int,
    deterministic: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Inverse-transform samples [R, num_samples] from the piecewise-constant pdf `weights` [R, B] on `bins` [R, B+1].

    NeRF's `sample_pdf` as torch-ngp keeps it: weights + 1e-5 so empty rays sample uniformly,
    `searchsorted(right=True)`, and bins whose cdf step is below 1e-5 treated as width 1.
    Deterministic samples use the mid-quantiles (k + 0.5) / num_samples.
    """
    weights = weights + 1e-5
    pdf = weights / weights.sum(dim=-1, keepdim=True)
    cdf = torch.cumsum(pdf, dim=-1)
    cdf = torch.cat([torch.zeros_like(cdf[..., :1]), cdf], dim=-1)  # [R, B+1]
    shape = (*cdf.shape[:-1], num_samples)
    if deterministic:
        u = torch.linspace(0.5 / num_samples, 1 - 0.5 / num_samples, num_samples, dtype=cdf.dtype, device=cdf.device)
        u = u.expand(shape)
    else:
        gen_device = generator.device if generator is not None else cdf.device
        u = torch.rand(shape, generator=generator, device=gen_device, dtype=cdf.dtype).to(cdf.device)
    u = u.contiguous()
    inds = torch.searchsorted(cdf, u, right=True)
    below = (inds - 1).clamp(min=0)
    above = inds.clamp(max=cdf.shape[-1] - 1)
    cdf_lo, cdf_hi = cdf.gather(-1, below), cdf.gather(-1, above)
    bin_lo, bin_hi = bins.gather(-1, below), bins.gather(-1, above)
    denom = cdf_hi - cdf_lo
    denom = torch.where(denom < 1e-5, torch.ones_like(denom), denom)
    t = (u - cdf_lo) / denom
    return bin_lo + t * (bin_hi - bin_lo)


def importance_samples(
    z: torch.Tensor,
    weights: torch.Tensor,
    num_samples: int,
    deterministic: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Extra depths [R, num_samples] where coarse `weights` [R, S] at depths `z` [R, S] are high (no gradient).

    The hierarchical step of NeRF / torch-ngp `run`: bins are the midpoints between coarse
    depths and the end samples' weights are dropped (weights[:, 1:-1]). Merge with
    `merge_samples`.
    """
    if z.shape[-1] < 3:
        raise ValueError(f"importance_samples needs >= 3 coarse samples per ray, got {z.shape[-1]}")
    with torch.no_grad():
        mids = 0.5 * (z[..., 1:] + z[..., :-1])
        return sample_pdf(mids, weights[..., 1:-1], num_samples, deterministic, generator).detach()


def merge_samples(z: torch.Tensor, z_new: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted union of two depth sets [R, S] + [R, T] -> (depths [R, S+T], order), order indexing cat([z, z_new])."""
    merged, order = torch.sort(torch.cat([z, z_new], dim=-1), dim=-1)
    return merged, order


def points_along_rays(origins: torch.Tensor, directions: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Sample positions origins + z * directions: [R, 3], [R, 3], [R, S] -> [R, S, 3]."""
    return origins.unsqueeze(-2) + directions.unsqueeze(-2) * z.unsqueeze(-1)
